package dev.trapdoor.api;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.devices.IoBus;
import dev.trapdoor.memory.PhysicalMemory;

import java.lang.foreign.MemorySegment;

/**
 * What the VMM does with an exit no script took: emulate the device access on the buses, answer
 * CPUID from the VM's table, or stop the run with the reason. A plain function of (vm, vcpu,
 * exit), so tests call it with made-up exits. Returns null to re-enter the guest.
 */
final class DefaultExitHandler {
    private DefaultExitHandler() {}

    static RunResult handle(Vm vm, Vcpu vcpu, Exit e) {
        return switch (e.getReason()) {
            case IO_INSTRUCTION -> { io(vm.io(), e); yield null; }
            case EPT_VIOLATION -> e.getSize() > 0 ? mmio(vm.memory().physical(), e) : stop(StopReason.UNHANDLED_EXIT, e, "EPT violation");
            case CPUID -> { cpuid(vm.getCpuid(), vcpu, e); yield null; }
            case HLT -> halt(vm, vcpu, e);
            // The timers that were due have fired; re-enter. A vCPU that halted with HLT exiting off leaves this
            // way when a timer deadline is set: skip virtual time to it as for an HLT exit.
            case PREEMPTION_TIMER -> "halted".equals(e.getMessage()) ? halt(vm, vcpu, e) : null;
            // Interrupt-window exiting asked for a chance to inject: the window is open, so stop asking and re-enter
            // (the pending interrupt, if any, is then taken). A script that wants to inject watches this reason.
            case INTERRUPT_WINDOW -> { openWindow(vcpu); yield null; }
            // Exits a script asked for by turning a control on, answered as the instruction would have been.
            case RDTSC -> { rdtsc(vm, vcpu, e); yield null; }
            case PAUSE -> { skip(vcpu, e); yield null; }
            case INVLPG -> { skip(vcpu, e); yield null; } // the register write-back on re-entry flushes the vCPU's translations
            case RDMSR -> { rdmsr(vm.getMsrs(), vcpu, e); yield null; }
            case WRMSR -> { wrmsr(vm.getMsrs(), vcpu, e); yield null; }
            case TRIPLE_FAULT -> stop(StopReason.TRIPLE_FAULT, e, "");
            // A stop a device's shutdown request caused (port I/O without an exit) ends as that shutdown.
            case STOP_REQUEST -> vm.shutdownPending() ? null : stop(StopReason.INTERRUPTED, e, e.getMessage());
            // A debugger stop whose breakpoint is disabled or whose condition is false: the next entry goes on.
            case EXCEPTION_NMI -> Exit.isDebuggerStop(e.getMessage()) ? null : stop(StopReason.EXCEPTION, e, "vector " + e.getVector());
            case INTERNAL_ERROR, ENTRY_FAILURE_GUEST_STATE, ENTRY_FAILURE_MSR_LOADING, ENTRY_FAILURE_MACHINE_CHECK ->
                    stop(StopReason.ERROR, e, e.getMessage());
            default -> stop(StopReason.UNHANDLED_EXIT, e, "no default handler for " + e.getReason());
        };
    }

    private static RunResult stop(StopReason why, Exit e, String message) {
        return RunResult.of(why, e, message);
    }

    /** Port I/O: each element of a string transfer is one bus access, in order. */
    static void io(IoBus bus, Exit e) {
        MemorySegment data = e.liveData();
        int size = e.getSize();
        int port = e.getPort();
        for (int i = 0; i < e.getCount(); i++) {
            long off = (long) i * size;
            if (e.isIn()) Exit.write(data, off, size, bus.read(port, size));
            else bus.write(port, size, (int) Exit.read(data, off, size));
        }
    }

    /** An access to a device window (or to nothing) the backend could not satisfy from RAM. */
    private static RunResult mmio(PhysicalMemory mem, Exit e) {
        MemorySegment data = e.liveData();
        if (e.isIn()) Exit.write(data, 0, e.getSize(), mem.read(e.getGuestPhysical(), e.getSize()));
        else mem.write(e.getGuestPhysical(), e.getSize(), Exit.read(data, 0, e.getSize()));
        return null;
    }

    /**
     * HLT: with interrupts enabled and a device timer pending, the guest sleeps until it fires
     * (virtual time skips ahead); with nothing to wake it, the run stops.
     */
    private static RunResult halt(Vm vm, Vcpu vcpu, Exit e) {
        boolean interruptible = (vcpu.get("eflags") & 0x200) != 0;
        // An interrupt that became pending on the way out (a timer the exit's cost made due) wakes it at once.
        if (interruptible && (vcpu.interruptRequested() || vm.time().idle())) return null;
        return stop(StopReason.HALTED, e, interruptible ? "" : "interrupts disabled");
    }

    private static void skip(Vcpu vcpu, Exit e) {
        vcpu.set("eip", e.getRip() + e.getInstructionLength());
    }

    /** RDTSC: the TSC is the virtual clock (1 GHz), plus the VMCS TSC offset when "use TSC offsetting" is on. */
    private static void rdtsc(Vm vm, Vcpu vcpu, Exit e) {
        long tsc = vm.getClock().now();
        dev.trapdoor.vmx.Vmcs v = vcpu.getVmcs();
        if (v != null && (v.procBased() & dev.trapdoor.vmx.ProcBased.USE_TSC_OFFSETTING) != 0) tsc += v.read(dev.trapdoor.vmx.VmcsField.TSC_OFFSET);
        vcpu.set("eax", tsc & 0xffffffffL);
        vcpu.set("edx", tsc >>> 32);
        skip(vcpu, e);
    }

    private static void openWindow(Vcpu vcpu) {
        dev.trapdoor.vmx.Vmcs v = vcpu.getVmcs();
        if (v != null) v.disable(dev.trapdoor.vmx.VmcsField.PROC_BASED_CONTROLS, "INTERRUPT_WINDOW_EXITING");
    }

    /** RDMSR (SDM: ECX selects, the value goes to EDX:EAX); an MSR the CPU lacks is #GP(0). */
    private static void rdmsr(MsrTable msrs, Vcpu vcpu, Exit e) {
        int msr = (int) vcpu.get("ecx");
        Long v = msr == MsrTable.IA32_TSC && vcpu.getInstructions() >= 0 ? Long.valueOf(vcpu.getVm().getClock().now()) : msrs.read(msr);
        if (v == null) {
            vcpu.injectException(13, 0);
            return;
        }
        vcpu.set("eax", v & 0xffffffffL);
        vcpu.set("edx", v >>> 32);
        vcpu.set("eip", e.getRip() + e.getInstructionLength());
    }

    private static void wrmsr(MsrTable msrs, Vcpu vcpu, Exit e) {
        int msr = (int) vcpu.get("ecx");
        long v = (vcpu.get("edx") << 32) | vcpu.get("eax");
        if (!msrs.write(msr, v)) {
            vcpu.injectException(13, 0);
            return;
        }
        vcpu.set("eip", e.getRip() + e.getInstructionLength());
    }

    /** CPUID exits unconditionally under VMX; the VMM answers from its table and skips the instruction. */
    private static void cpuid(CpuidTable table, Vcpu vcpu, Exit e) {
        CpuidTable.Leaf l = table.get((int) vcpu.get("eax"), (int) vcpu.get("ecx"));
        vcpu.set("eax", l.eax() & 0xffffffffL);
        vcpu.set("ebx", l.ebx() & 0xffffffffL);
        vcpu.set("ecx", l.ecx() & 0xffffffffL);
        vcpu.set("edx", l.edx() & 0xffffffffL);
        vcpu.set("eip", e.getRip() + e.getInstructionLength());
    }
}
