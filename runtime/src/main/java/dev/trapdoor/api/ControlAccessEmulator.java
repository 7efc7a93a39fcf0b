package dev.trapdoor.api;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.cpu.InterpreterVcpu;
import dev.trapdoor.vmx.ExitQualifications;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;

/**
 * The runtime's answer to CR-access and MOV-DR exits a script enabled (CR0/CR4 guest/host masks,
 * CR3-load/store exiting, MOV-DR exiting): it performs the access the guest asked for, as a VMM
 * that owns the bits but does not want to change what the guest sees. Writes go to the real
 * register, and for host-owned CR0/CR4 bits to the read shadow too, so the guest reads back what
 * it wrote (SDM Vol. 3C, 25.6.6); the qualification says which access (Tables 28-3 and 28-4).
 * A value the CPU would refuse becomes #GP(0) in the guest; otherwise EIP moves past the instruction.
 */
final class ControlAccessEmulator {
    private ControlAccessEmulator() {}

    private static final long CR0_PE = 1, CR0_TS = 8, CR0_ET = 16;

    /** CR_ACCESS (reason 28). */
    static void crAccess(Vcpu vcpu, Exit e) {
        Vmcs v = vcpu.getVmcs();
        long q = e.getQualification();
        int cr = ExitQualifications.crNumber(q);
        String gpr = X86Registers.GPR_NAMES[ExitQualifications.crGpr(q) & 7];
        boolean ok = switch (ExitQualifications.crAccessType(q)) {
            case ExitQualifications.CR_MOV_TO -> writeCr(vcpu, v, cr, vcpu.get(gpr));
            case ExitQualifications.CR_MOV_FROM -> readCr(vcpu, v, cr, gpr);
            // CLTS clears TS, for the guest's view too (SDM Vol. 2, CLTS).
            case ExitQualifications.CR_CLTS -> writeCr(vcpu, v, 0, vcpu.get("cr0") & ~CR0_TS);
            // LMSW loads PE, MP, EM, TS from the source and cannot clear PE (SDM Vol. 2, LMSW).
            default -> {
                long cr0 = guestCr0(vcpu, v);
                int src = ExitQualifications.lmswSource(q);
                yield writeCr(vcpu, v, 0, (cr0 & ~0xeL) | (src & 0xf) | (cr0 & CR0_PE));
            }
        };
        if (ok) DefaultExitHandler.skip(vcpu, e);
    }

    /** The guest's view of CR0: host-owned bits from the read shadow. */
    private static long guestCr0(Vcpu vcpu, Vmcs v) {
        return v.cr0ReadValue(vcpu.get("cr0"));
    }

    private static boolean writeCr(Vcpu vcpu, Vmcs v, int cr, long value) {
        if ((cr != 0 && cr != 3 && cr != 4)) return fault(vcpu, 6, -1); // no CR8 on IA-32: MOV CR8 is #UD
        if (!InterpreterVcpu.controlWriteValid(cr, value)) return fault(vcpu, 13, 0);
        switch (cr) {
            case 0 -> {
                value |= CR0_ET; // hardwired to 1 (SDM Vol. 3A, 2.5)
                vcpu.set("cr0", value);
                shadow(v, VmcsField.CR0_READ_SHADOW, VmcsField.CR0_GUEST_HOST_MASK, value);
            }
            case 3 -> vcpu.set("cr3", value);
            default -> {
                vcpu.set("cr4", value);
                shadow(v, VmcsField.CR4_READ_SHADOW, VmcsField.CR4_GUEST_HOST_MASK, value);
            }
        }
        return true;
    }

    private static void shadow(Vmcs v, VmcsField shadow, VmcsField mask, long value) {
        long m = v.read(mask);
        v.write(shadow, (v.read(shadow) & ~m) | (value & m));
    }

    /** MOV from CR exits only for CR3 (CR3-store exiting) on IA-32; CR0/CR4 read through the shadows. */
    private static boolean readCr(Vcpu vcpu, Vmcs v, int cr, String gpr) {
        long value = switch (cr) {
            case 0 -> guestCr0(vcpu, v);
            case 3 -> vcpu.get("cr3");
            case 4 -> v.cr4ReadValue(vcpu.get("cr4"));
            default -> -1;
        };
        if (value < 0) return fault(vcpu, 6, -1);
        vcpu.set(gpr, value);
        return true;
    }

    /** DR_ACCESS (reason 29): MOV to or from DRn with the CPU's fixed DR6/DR7 bits. */
    static boolean drAccess(Vcpu vcpu, Exit e) {
        InterpreterVcpu cpu = vcpu.interpreter();
        if (cpu == null) return false;
        long q = e.getQualification();
        int dr = ExitQualifications.drNumber(q);
        String gpr = X86Registers.GPR_NAMES[ExitQualifications.drGpr(q) & 7];
        if (ExitQualifications.drFrom(q)) vcpu.set(gpr, cpu.debugRegister(dr) & 0xffffffffL);
        else cpu.setDebugRegister(dr, (int) vcpu.get(gpr));
        DefaultExitHandler.skip(vcpu, e);
        return true;
    }

    private static boolean fault(Vcpu vcpu, int vector, int error) {
        DefaultExitHandler.injectException(vcpu, vector, error);
        return false;
    }
}
