package dev.trapdoor.kvm;

import dev.trapdoor.arch.X86Registers;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Measures, with a throwaway two-instruction guest, where this KVM leaves RIP at an OUT exit:
 * hardware VMX takes a fast path that leaves the OUT pending (RIP at it), a KVM that emulates
 * it (kvm_pvm) has retired it (RIP past it).
 */
final class KvmProbe {
    private KvmProbe() {}

    private static final byte[] OUT_80_HLT = {(byte) 0xe6, (byte) 0x80, (byte) 0xf4}; // out 0x80, al; hlt

    static boolean outRetiredAtExit(Kvm kvm) {
        try (Arena arena = Arena.ofConfined(); KvmVm vm = kvm.createVm()) {
            MemorySegment ram = arena.allocate(4096, 4096);
            MemorySegment.copy(OUT_80_HLT, 0, ram, ValueLayout.JAVA_BYTE, 0, OUT_80_HLT.length);
            if (kvm.checkExtension(KvmAbi.CAP_SET_TSS_ADDR) > 0) vm.setTssAddr(KvmBackend.TSS_ADDRESS);
            vm.setUserMemoryRegion(0, 0, 0, ram);
            try (KvmVcpu vcpu = vm.createVcpu(0)) {
                MemorySegment regs = vcpu.getRegs();
                MemorySegment sregs = vcpu.getSregs();
                KvmRegisters.toKvm(X86Registers.realMode(0, 0), regs, sregs);
                vcpu.setSregs(sregs);
                vcpu.setRegs(regs);
                if (vcpu.run() != 0 || vcpu.exitReason() != KvmAbi.EXIT_IO) return false;
                return KvmRegisters.rip(vcpu.getRegs()) == OUT_80_HLT.length - 1;
            }
        }
    }
}
