/**
 * The IA-32 interpreter: the {@code interp} backend.
 *
 * <h2>How an instruction flows</h2>
 * <ol>
 *   <li>{@link dev.trapdoor.cpu.OpcodeTable} holds one {@link dev.trapdoor.cpu.Row} per opcode of
 *       the one-byte and 0F maps (groups expanded by ModRM.reg): AT&amp;T mnemonic, handler number
 *       ({@code Ops}), operand kinds ({@link dev.trapdoor.cpu.Operand}, Intel's Eb/Gv/Iz notation)
 *       and attributes (block end, lockable, privileged, suffix rules).</li>
 *   <li>{@link dev.trapdoor.cpu.Decoder} reads prefixes, opcode, ModRM/SIB, displacement and
 *       immediates by those rows into an {@code Insn}; the {@link dev.trapdoor.cpu.Disassembler}
 *       prints the same {@code Insn} the way objdump does.</li>
 *   <li>{@code Cpu} decodes runs of instructions into {@code Block}s keyed by physical address and
 *       code size ({@code BlockCache}); writes to code pages drop the blocks they touch.</li>
 *   <li>The executor is a chain of small layers, each one concern: {@code CpuState} (registers),
 *       {@code LazyFlags}, {@code Mmu} (segment checks, the linear-to-physical seam with 32-bit
 *       paging, a software TLB over RAM pages), {@code Segments} (descriptor loads),
 *       {@code Interrupts} (IVT/IDT delivery, #DF, exits), {@code TaskSwitch} (32-bit TSS task
 *       switches), {@code Alu}, {@code StringIo} (with the TSS I/O bitmap), {@code ControlFlow}
 *       (far transfers, call gates), {@code FpuOps} (the x87 escapes, #NM/#MF/FERR#, FXSAVE over
 *       {@link dev.trapdoor.cpu.fpu.X87}), {@code SystemOps} (incl. SYSENTER/SYSEXIT and LAR/LSL/VERR/VERW),
 *       {@code Exec} (the dispatch) and {@code Cpu} (the run loop).</li>
 * </ol>
 *
 * <h2>Growing the ISA</h2>
 * A row with handler {@code Ops.UD} decodes and disassembles but raises #UD. To implement it, give
 * the row a handler number and add the case to the family method in {@code Exec}; the table-wide
 * test ({@code OpcodeCoverageTest}) fails if a row names a handler the executor does not know.
 *
 * <h2>CPU model</h2>
 * The CPU model is {@link dev.trapdoor.arch.CpuidTable#interpreterDefault()}: a P6-family CPU with
 * FPU, PSE, TSC, MSR, CX8, SEP, PGE, CMOV and FXSR and no SIMD. Global pages are accepted and
 * flushed with the rest on a CR3 load (always allowed: a TLB may drop any entry). The SYSENTER
 * MSRs (0x174-0x176) are held and answered by the CPU; every other RDMSR/WRMSR exits.
 *
 * <h2>Guest faults and exits</h2>
 * Guest faults are one pre-allocated signal ({@code CpuFault}) with the vector and error code in
 * the CPU's fields; the run loop restores EIP to the faulting instruction and delivers the event
 * (or exits per the VMCS exception bitmap, {@link dev.trapdoor.vmx.Vmcs#exceptionExits}). Port I/O, HLT and
 * CPUID exit as VMX would; any host exception reaching the run loop is an interpreter bug and
 * becomes an INTERNAL_ERROR exit.
 */
package dev.trapdoor.cpu;
