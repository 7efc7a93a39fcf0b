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
 *       {@code Interrupts} (IVT/IDT delivery, #DF, exits), {@code Virtual8086} (virtual-8086 mode
 *       without VME: entry by IRET, IOPL-sensitive instructions), {@code TaskSwitch} (32- and 16-bit TSS task
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
 * MSRs (0x174-0x176) are held and answered by the CPU; without MSR bitmaps every other RDMSR/WRMSR exits.
 *
 * <h2>Guest faults and exits</h2>
 * Guest faults are one pre-allocated signal ({@code CpuFault}) with the vector and error code in
 * the CPU's fields; the run loop restores EIP to the faulting instruction and delivers the event
 * (or exits per the VMCS exception bitmap, {@link dev.trapdoor.vmx.Vmcs#exceptionExits}). Any host
 * exception reaching the run loop is an interpreter bug and becomes an INTERNAL_ERROR exit.
 *
 * <h2>The VMCS</h2>
 * Each vCPU runs under a {@link dev.trapdoor.vmx.Vmcs} ({@code InterpreterVcpu.vmcs}; scripts:
 * {@code vm.vmcs}, {@code vcpu.vmcs}). Entry reads the pin-based and primary processor-based
 * controls once; the rest is read where it matters. Defaults: HLT exiting and unconditional I/O
 * exiting on, everything else off (the behaviour before the VMCS). Honoured (SDM Vol. 3C, ch. 26-28):
 * <ul>
 *   <li>exits: HLT, CPUID (always), RDMSR/WRMSR (MSR bitmaps; a clear bit completes through
 *       {@code backend.MsrAccess}), IN/OUT/INS/OUTS (unconditional or the I/O bitmaps; a port that
 *       does not exit is accessed through {@code backend.PortIo}), MOV to CR0/CR4 against the
 *       guest/host masks and read shadows (MOV from CR0/CR4 and SMSW read the shadows), CLTS, LMSW,
 *       CR3-load (with the CR3-target list) and CR3-store exiting, MOV DR, INVLPG (qualification:
 *       the linear address), RDTSC (and "use TSC offsetting" adding TSC_OFFSET to the runtime's
 *       offset), PAUSE (F3 90), VMCALL (0F 01 C1, always), the exception bitmap with #PF error-code
 *       mask/match, interrupt-window exiting, the VMX-preemption timer (one tick per retired
 *       instruction; "save VMX-preemption timer value" honoured), triple fault, INVD (always),
 *       MONITOR/MWAIT (MWAIT's qualification says whether the monitor is armed), RDPMC, WBINVD and
 *       descriptor-table exiting (reasons 46/47 with the instruction information of Tables
 *       28-10/28-11, {@code vmx.InstructionInformation});</li>
 *   <li>events at instruction boundaries ({@code VmxEvents}, in the SDM's priority order):
 *       NMI-window exiting, NMIs (NMI exiting, virtual NMIs with IRET ending virtual-NMI blocking;
 *       without NMI exiting delivery through vector 2 and NMI blocking until IRET), external-interrupt
 *       exiting (RFLAGS.IF does not mask, STI/MOV SS blocking does) with or without "acknowledge
 *       interrupt on exit", and the monitor trap flag (an exit after each instruction, after a
 *       delivered fault, and after an injected event); interruptibility state bits 0, 1 and 3;</li>
 *   <li>VM-entry event injection of every type, type 7 being the pending MTF exit ({@code VmxEntry},
 *       with the checks of 27.2.1.3 and of 27.3.1.5 against IF and the interruptibility state, and the
 *       control checks of 27.2.1.1 on the NMI controls: a bad field fails the entry with VM-instruction
 *       error 7);</li>
 *   <li>exit recording ({@code VmxExit}): reason, qualification, lengths, interruption information,
 *       IDT-vectoring information for exits during the delivery of an injected event, an external
 *       interrupt, a software interrupt or a nested exception (#DF), INS/OUTS instruction
 *       information, and guest RIP/RSP/RFLAGS/CR0/CR3/CR4/activity/interruptibility state.</li>
 * </ul>
 * HLT with HLT exiting off: the vCPU halts inside; if the runtime set an instruction limit (a device
 * timer is due), it leaves at once with a PREEMPTION_TIMER exit whose message is "halted" and
 * stays halted: the runtime skips virtual time to the deadline as for an HLT exit (the timer may
 * raise the interrupt that wakes it) and re-enters. Without a limit it sleeps until an injected
 * interrupt or a stop request. Not honoured: TPR shadow and APIC virtualization, PAUSE-loop
 * exiting, posted interrupts, MTF after each iteration of a REP string instruction (it comes after
 * the whole instruction); RDTSCP and XSETBV do not exist on this CPU. HLT exits trap-like (RIP past
 * the HLT), where the SDM's exit is fault-like, because the runtime's HLT handling is shared with
 * KVM, whose HLT exits come after the instruction. EPT and VPID are honoured by the Mmu: with
 * "enable EPT" every guest-physical access (the guest's page-walk reads and A/D writes too) goes
 * through the EPT the EPT pointer names (memory.paging's EptWalker; violations and
 * misconfigurations are exits 48 and 49), and the TLB is kept per VPID, flushed at every entry
 * when VPIDs are off. Not modelled: EPT A/D-dirty logging (PML), #VE, EPTP switching,
 * paging-structure caches.
 */
package dev.trapdoor.cpu;
