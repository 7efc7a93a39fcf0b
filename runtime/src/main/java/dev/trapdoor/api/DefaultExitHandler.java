package dev.trapdoor.api;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.devices.IoBus;
import dev.trapdoor.memory.PhysicalMemory;

import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;

import java.lang.foreign.MemorySegment;

/**
 * What the VMM does with an exit no script took: emulate the device access on the buses, answer
 * CPUID from the VM's table, or stop the run with the reason. A plain function of (vm, vcpu,
 * exit), so tests call it with made-up exits. Returns null to re-enter the guest.
 *
 * <p>Every exit a script can turn on with a VMCS control has an answer that keeps the guest
 * correct: interrupts and NMIs that exited are injected when the guest can take them
 * ({@link EventInjector}), intercepted exceptions are reflected, CR and DR accesses emulated
 * ({@link ControlAccessEmulator}), VMCALL answered ({@link Hypercalls}), descriptor-table
 * instructions run natively for one MTF step ({@link NativeStep}), WBINVD/INVD/MONITOR/MWAIT
 * skipped and RDPMC answered with #GP(0) as the CPU would.
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
            // (The event injector keeps it on while it has an interrupt waiting for the window.)
            case INTERRUPT_WINDOW -> {
                if (!vcpu.events().windowOpened(vcpu)) openWindow(vcpu);
                yield null;
            }
            case NMI_WINDOW -> {
                if (!vcpu.events().nmiPending()) closeNmiWindow(vcpu);
                yield null;
            }
            case EXTERNAL_INTERRUPT -> { externalInterrupt(vcpu); yield null; }
            // An MTF exit ends a native step, or is one step of a script's stepping: re-enter either way.
            case MONITOR_TRAP_FLAG -> { NativeStep.finish(vcpu); yield null; }
            case CR_ACCESS -> {
                if (vcpu.getVmcs() == null) yield stop(StopReason.UNHANDLED_EXIT, e, "CR access without a VMCS");
                ControlAccessEmulator.crAccess(vcpu, e);
                yield null;
            }
            case DR_ACCESS -> ControlAccessEmulator.drAccess(vcpu, e) ? null : stop(StopReason.UNHANDLED_EXIT, e, "MOV DR");
            case VMCALL -> hypercall(vm, vcpu, e);
            // The descriptor-table instructions run natively for one step with the control off (NativeStep).
            case GDTR_IDTR_ACCESS, LDTR_TR_ACCESS -> {
                NativeStep.begin(vcpu, VmcsField.SECONDARY_PROC_BASED_CONTROLS, ProcBased2.DESCRIPTOR_TABLE_EXITING);
                yield null;
            }
            // No caches to write back, no monitor hardware to wait on: as KVM does, the VMM lets them pass.
            case WBINVD, INVD, MONITOR, MWAIT -> { skip(vcpu, e); yield null; }
            // No performance counters: every counter index is invalid, #GP(0) as the CPU itself answers (SDM Vol. 2, RDPMC).
            case RDPMC -> { injectException(vcpu, 13, 0); yield null; }
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
            case EXCEPTION_NMI -> Exit.isDebuggerStop(e.getMessage()) ? null : exceptionOrNmi(vcpu, e);
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

    static void skip(Vcpu vcpu, Exit e) {
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

    private static void closeNmiWindow(Vcpu vcpu) {
        Vmcs v = vcpu.getVmcs();
        if (v != null) v.disable(VmcsField.PROC_BASED_CONTROLS, "NMI_WINDOW_EXITING");
    }

    /** External-interrupt exiting: the event injector takes the interrupt to the guest (acknowledged on exit or not). */
    private static void externalInterrupt(Vcpu vcpu) {
        Vmcs v = vcpu.getVmcs();
        if (v != null) vcpu.events().externalInterruptExit(vcpu, v);
    }

    /**
     * An exception exit from the exception bitmap is reflected into the guest as the CPU would have
     * delivered it (CR2 for #PF from the qualification, SDM 28.2.1; a fault while delivering another
     * exception combined per SDM Vol. 3A, Table 6-5); an NMI exit (NMI exiting) is injected when the
     * guest can take it. Other exception exits (a debugger's) stop the run.
     */
    private static RunResult exceptionOrNmi(Vcpu vcpu, Exit e) {
        Vmcs v = vcpu.getVmcs();
        long info = v == null ? 0 : v.read(VmcsField.VM_EXIT_INTERRUPTION_INFO);
        if (!InterruptionInfo.valid(info)) return stop(StopReason.EXCEPTION, e, "vector " + e.getVector());
        int vector = InterruptionInfo.vector(info), type = InterruptionInfo.type(info);
        if (type == InterruptionInfo.TYPE_NMI) {
            vcpu.events().queueNmi();
            return null;
        }
        int error = InterruptionInfo.errorCodeValid(info) ? (int) v.read(VmcsField.VM_EXIT_INTERRUPTION_ERROR_CODE) : -1;
        if (!v.exceptionExits(vector, Math.max(error, 0))) return stop(StopReason.EXCEPTION, e, "vector " + vector);
        if (vector == 14) vcpu.set("cr2", e.getQualification());
        if (type != InterruptionInfo.TYPE_HARDWARE_EXCEPTION) {
            // INT3, INTO, INT1: re-inject as the same software exception, returning past the instruction (SDM 27.6.1).
            v.write(VmcsField.VM_ENTRY_INSTRUCTION_LENGTH, e.getInstructionLength());
            v.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(vector, type, false) & 0xffffffffL);
            return null;
        }
        long vectoring = v.read(VmcsField.IDT_VECTORING_INFO);
        if (InterruptionInfo.valid(vectoring) && InterruptionInfo.type(vectoring) == InterruptionInfo.TYPE_HARDWARE_EXCEPTION) {
            int first = InterruptionInfo.vector(vectoring);
            if (first == 8) return stop(StopReason.TRIPLE_FAULT, e, "a fault while delivering #DF");
            if (doubleFault(first, vector)) {
                vector = 8;
                error = 0;
            }
        }
        injectException(vcpu, vector, error);
        return null;
    }

    private static boolean contributory(int v) {
        return v == 0 || (v >= 10 && v <= 13);
    }

    /** SDM Vol. 3A, Table 6-5: the second exception turns into #DF. */
    private static boolean doubleFault(int first, int second) {
        return (contributory(first) && contributory(second)) || (first == 14 && (second == 14 || contributory(second)));
    }

    /**
     * A hardware exception for the guest at the next entry. On the interpreter it goes through
     * VM-entry injection, which the exception bitmap does not intercept (SDM 27.6), so an exception
     * a script both intercepts and lets the runtime raise cannot loop.
     */
    static void injectException(Vcpu vcpu, int vector, int error) {
        Vmcs v = vcpu.getVmcs();
        if (v == null) {
            vcpu.injectException(vector, error);
            return;
        }
        boolean withError = InterruptionInfo.exceptionHasErrorCode(vector) && (vcpu.get("cr0") & 1) != 0;
        v.write(VmcsField.VM_ENTRY_EXCEPTION_ERROR_CODE, withError ? Math.max(error, 0) : 0);
        v.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(vector, InterruptionInfo.TYPE_HARDWARE_EXCEPTION, withError) & 0xffffffffL);
    }

    /** VMCALL: the hypercall ABI of {@link Hypercalls}; a script handler that throws stops the run. */
    private static RunResult hypercall(Vm vm, Vcpu vcpu, Exit e) {
        try {
            vm.getHypercalls().dispatch(vcpu, e);
            return null;
        } catch (RuntimeException ex) {
            return stop(StopReason.ERROR, e, "hypercall " + vcpu.get("eax") + " threw " + ScriptErrors.describe(ex));
        }
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
