package dev.trapdoor.api;

import dev.trapdoor.cpu.DebugStops;
import dev.trapdoor.vmx.ExitReason;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A VM's debugger stops that the CPU itself must notice (data watchpoints, mnemonics, port and
 * MMIO ranges, vectors): each is a {@link Breakpoint} in the VM's watch list, and the set of them
 * goes to every interpreter vCPU as one {@link DebugStops} whenever it changes. A backend that
 * reports the condition as an exit anyway (port I/O and MMIO on KVM) gets a plain exit breakpoint.
 */
final class DebugStopSet {
    private final Vm vm;
    private final List<Breakpoint> stops = new ArrayList<>();

    DebugStopSet(Vm vm) {
        this.vm = vm;
    }

    private boolean interpreter() {
        return vm.getVcpu().getVmcs() != null && vm.getVcpu().getInstructions() >= 0;
    }

    private void needInterpreter(String what) {
        if (!interpreter()) throw new IllegalArgumentException("the " + vm.getBackend() + " backend has no " + what + "; use the interpreter");
    }

    /** rw: "r", "w" or "rw" (also "a" or "access" for both). */
    Breakpoint watch(int id, long address, long length, String rw, boolean physical, ExitCondition condition, String conditionText) {
        String mode = rw == null ? "w" : rw.toLowerCase(Locale.ROOT);
        boolean read = mode.contains("r") || mode.startsWith("a"), write = mode.contains("w") || mode.startsWith("a");
        if (!mode.matches("r|w|rw|wr|a|access")) throw new IllegalArgumentException("watch access is 'r', 'w' or 'rw', not '" + rw + "'");
        if (!interpreter()) return backendWatch(id, address, length, read, physical, condition, conditionText);
        DebugStops.Watch w = new DebugStops.Watch(id, address, length, read, write, physical);
        String desc = String.format("%s of %#x+%d (%s)", read && write ? "accesses" : read ? "reads" : "writes", address, length, physical ? "physical" : "linear");
        return add(id, w, desc, e -> DebugStops.WATCHPOINT.equals(e.getMessage()) && e.getQualification() == id, condition, conditionText);
    }

    /** A watch the backend keeps in a debug register (KVM: DR0-DR3 through KVM_SET_GUEST_DEBUG). */
    record BackendWatch(int id) {}

    private Breakpoint backendWatch(int id, long address, long length, boolean read, boolean physical, ExitCondition condition, String conditionText) {
        if (physical) throw new IllegalArgumentException("the " + vm.getBackend() + " backend watches linear addresses only (in a debug register)");
        if (!vm.getVcpu().addBackendDataBreakpoint(address, length, read, id))
            throw new IllegalArgumentException("the " + vm.getBackend() + " backend watches 1, 2 or 4 aligned bytes in one of DR0-DR3 (four, shared with"
                    + " breakpoints), where the host's KVM has KVM_CAP_SET_GUEST_DEBUG; the interpreter watches any range");
        // x86 has no read-only data breakpoint (R/W = 11 is reads and writes): a read watch also stops on writes here.
        String desc = String.format("%s of %#x+%d (linear, in a debug register)", read ? "accesses" : "writes", address, length);
        Breakpoint b = new Breakpoint(id, ExitReason.EXCEPTION_NMI, condition, conditionText, false);
        b.target = new BackendWatch(id);
        b.description = desc;
        b.match = e -> DebugStops.WATCHPOINT.equals(e.getMessage()) && e.getQualification() == id;
        return b;
    }

    Breakpoint mmio(int id, long first, long last, ExitCondition condition, String conditionText) {
        if (first < 0 || last < first) throw new IllegalArgumentException(String.format("bad MMIO range %#x-%#x", first, last));
        String desc = String.format("MMIO %#x-%#x", first, last);
        if (!interpreter()) {
            if (!vm.getCapabilities().contains(ExitReason.EPT_VIOLATION)) throw new IllegalArgumentException("the " + vm.getBackend() + " backend reports no MMIO");
            return exitBreakpoint(id, ExitReason.EPT_VIOLATION, desc,
                    e -> e.getSize() > 0 && e.getGuestPhysical() >= first && e.getGuestPhysical() <= last, condition, conditionText);
        }
        DebugStops.Watch w = new DebugStops.Watch(id, first, last - first + 1, true, true, true);
        return add(id, w, desc, e -> DebugStops.WATCHPOINT.equals(e.getMessage()) && e.getQualification() == id, condition, conditionText);
    }

    Breakpoint mnemonic(int id, String typed, ExitCondition condition, String conditionText) {
        needInterpreter("instruction stops");
        String m = DebugStops.rowMnemonic(typed);
        if (m == null) throw new IllegalArgumentException("no instruction '" + typed + "' in the opcode table");
        return add(id, m, "instruction " + m, e -> DebugStops.MNEMONIC.equals(e.getMessage())
                && e.getDebugHit() != null && m.equals(e.getDebugHit().mnemonic()), condition, conditionText);
    }

    Breakpoint ports(int id, int first, int last, ExitCondition condition, String conditionText) {
        DebugStops.PortRange p = new DebugStops.PortRange(id, first, last);
        String desc = first == last ? String.format("port %#x", first) : String.format("ports %#x-%#x", first, last);
        if (!interpreter())
            return exitBreakpoint(id, ExitReason.IO_INSTRUCTION, desc, e -> e.getPort() >= first && e.getPort() <= last, condition, conditionText);
        return add(id, p, desc, e -> DebugStops.PORT.equals(e.getMessage()) && e.getQualification() == id, condition, conditionText);
    }

    Breakpoint vector(int id, int vector, ExitCondition condition, String conditionText) {
        needInterpreter("vector stops");
        if (vector < 0 || vector > 255) throw new IllegalArgumentException("vector " + vector + " is not 0-255");
        return add(id, vector, "vector " + vector, e -> DebugStops.VECTOR.equals(e.getMessage()) && e.getQualification() == vector, condition, conditionText);
    }

    private Breakpoint exitBreakpoint(int id, ExitReason reason, String desc, ExitCondition match, ExitCondition condition, String conditionText) {
        Breakpoint b = new Breakpoint(id, reason, condition, conditionText, false);
        b.description = desc;
        b.match = match;
        return b;
    }

    private synchronized Breakpoint add(int id, Object target, String desc, ExitCondition match, ExitCondition condition, String conditionText) {
        Breakpoint b = new Breakpoint(id, ExitReason.EXCEPTION_NMI, condition, conditionText, false);
        b.target = target;
        b.description = desc;
        b.match = match;
        stops.add(b);
        try {
            push();
        } catch (RuntimeException e) {
            stops.remove(b);
            throw e;
        }
        return b;
    }

    synchronized boolean remove(Breakpoint b) {
        if (b.target instanceof BackendWatch w) {
            vm.getVcpu().removeBackendDataBreakpoint(w.id());
            return true;
        }
        if (!stops.remove(b)) return false;
        push();
        return true;
    }

    private void push() {
        List<DebugStops.Watch> watches = new ArrayList<>();
        Set<String> mnemonics = new LinkedHashSet<>();
        List<DebugStops.PortRange> ports = new ArrayList<>();
        Set<Integer> vectors = new LinkedHashSet<>();
        for (Breakpoint b : stops) {
            switch (b.target) {
                case DebugStops.Watch w -> watches.add(w);
                case DebugStops.PortRange p -> ports.add(p);
                case String m -> mnemonics.add(m);
                case Integer v -> vectors.add(v);
                default -> throw new IllegalStateException("unknown debugger stop " + b);
            }
        }
        DebugStops s = new DebugStops(watches, mnemonics, ports, vectors);
        for (Vcpu v : vm.getVcpus()) v.setDebugStops(s);
    }
}
