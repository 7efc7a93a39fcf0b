package dev.trapdoor.api;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;
import dev.trapdoor.snapshot.Snapshot;
import dev.trapdoor.snapshot.SnapshotException;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes a VM's {@link Snapshot} and puts one back: RAM, each vCPU's core, VMCS and run-loop
 * state, every device, the virtual clock and the VM's own state (MSR table, a pending shutdown).
 * A restore first checks that the snapshot is of this machine (memory layout, devices, vCPUs,
 * backend); it loads the small parts first and memory last, and if a part refuses its data the
 * parts already loaded are put back as they were, so a failed restore leaves the VM unchanged.
 */
final class VmState {
    private VmState() {}

    /** Memory layout, devices (name and class), vCPUs and backend: what a snapshot must match. */
    static String describe(Vm vm) {
        StringBuilder b = new StringBuilder("backend ").append(vm.getBackend()).append("; vcpus ").append(vm.getVcpus().size()).append("; memory");
        for (Region r : vm.memory().physical().regions())
            b.append(String.format(" %s:%s@%#x+%#x", r.kind(), r.name(), r.base(), r.size()));
        b.append("; devices");
        for (var e : vm.getDevices().entrySet()) b.append(' ').append(e.getKey()).append('=').append(e.getValue().getClass().getSimpleName());
        return b.toString();
    }

    /** The parts besides memory, in load order. */
    private static List<Map.Entry<String, Stateful>> parts(Vm vm) {
        List<Map.Entry<String, Stateful>> parts = new ArrayList<>();
        parts.add(Map.entry("clock", vm.getClock()));
        List<Map.Entry<String, Stateful>> devices = new ArrayList<>();
        for (var e : vm.getDevices().entrySet()) {
            if (!(e.getValue() instanceof Stateful s))
                throw new SnapshotException("vm '" + vm.getName() + "' cannot be snapshotted: device '" + e.getKey() + "' ("
                        + e.getValue().getClass().getName() + ") has no saved state (it does not implement " + Stateful.class.getName() + ")");
            devices.add(Map.entry("dev/" + e.getKey(), s));
        }
        devices.sort(Comparator.comparingInt(e -> e.getValue().loadOrder()));
        parts.addAll(devices);
        for (Vcpu v : vm.getVcpus()) {
            Stateful core = v.stateful();
            if (core == null)
                throw new SnapshotException("vm '" + vm.getName() + "' cannot be snapshotted: the " + vm.getBackend()
                        + " backend's vCPUs have no saved state (snapshots need the interpreter; on KVM the register, FPU, MSR and"
                        + " event state would come from KVM_GET_REGS/SREGS/FPU/MSRS/VCPU_EVENTS, which are not wired)");
            parts.add(Map.entry("cpu" + v.getIndex(), core));
            if (v.getVmcs() != null) parts.add(Map.entry("vmcs" + v.getIndex(), v.getVmcs()));
            parts.add(Map.entry("vcpu" + v.getIndex(), v.runState()));
        }
        parts.add(Map.entry("vm", vm.ownState()));
        return parts;
    }

    private static List<Region.Ram> ram(Vm vm) {
        List<Region.Ram> l = new ArrayList<>();
        for (Region r : vm.memory().physical().regions()) if (r instanceof Region.Ram ram) l.add(ram);
        return l;
    }

    private static String ramSection(Region r) {
        return String.format("ram/%s@%x", r.name(), r.base());
    }

    static Snapshot capture(Vm vm) {
        for (Vcpu v : vm.getVcpus())
            if (v.isRunning()) throw new SnapshotException(v + " is running: stop it before taking a snapshot");
        Map<String, byte[]> sections = new LinkedHashMap<>();
        for (var p : parts(vm)) {
            StateWriter w = new StateWriter();
            p.getValue().saveState(w);
            sections.put(p.getKey(), w.toByteArray());
        }
        for (Region.Ram r : ram(vm)) {
            if (r.size() > Integer.MAX_VALUE - 8) throw new SnapshotException("RAM region " + r.name() + " is larger than 2 GiB: snapshots hold up to 2 GiB per region");
            sections.put(ramSection(r), r.host().toArray(ValueLayout.JAVA_BYTE));
        }
        Vcpu v0 = vm.getVcpu();
        return new Snapshot(describe(vm), v0.getInstructions(), v0.guestExitCount(), vm.getClock().now(), sections);
    }

    static void restore(Vm vm, Snapshot s) {
        for (Vcpu v : vm.getVcpus())
            if (v.isRunning()) throw new SnapshotException(v + " is running: stop it before restoring a snapshot");
        String here = describe(vm);
        if (!here.equals(s.getMachine()))
            throw new SnapshotException("the snapshot is of another machine:\n  snapshot: " + s.getMachine() + "\n  this VM:  " + here);
        List<Map.Entry<String, Stateful>> parts = parts(vm);
        for (var p : parts) s.section(p.getKey());
        for (Region.Ram r : ram(vm)) {
            if (s.section(ramSection(r)).length != r.size())
                throw new SnapshotException("the snapshot's " + ramSection(r) + " holds " + s.section(ramSection(r)).length + " bytes, the region " + r.size());
        }
        Map<String, byte[]> backup = new LinkedHashMap<>();
        for (var p : parts) {
            StateWriter w = new StateWriter();
            p.getValue().saveState(w);
            backup.put(p.getKey(), w.toByteArray());
        }
        try {
            load(parts, s.sections());
        } catch (RuntimeException e) {
            load(parts, backup);
            if (e instanceof SnapshotException se) throw se;
            throw new SnapshotException("the snapshot could not be applied (the VM is unchanged): " + e, e);
        }
        PhysicalMemory phys = vm.memory().physical();
        for (Region.Ram r : ram(vm)) restoreRam(phys, r, s.section(ramSection(r)));
    }

    private static void load(List<Map.Entry<String, Stateful>> parts, Map<String, byte[]> sections) {
        for (var p : parts) {
            StateReader r = new StateReader(p.getKey(), sections.get(p.getKey()));
            p.getValue().loadState(r);
            r.done();
        }
    }

    /**
     * Writes back the pages that differ, through the memory map, so that decoded code on a
     * changed page is dropped (a bulk write notices only its first and last page).
     */
    private static void restoreRam(PhysicalMemory phys, Region.Ram r, byte[] saved) {
        MemorySegment host = r.host();
        MemorySegment src = MemorySegment.ofArray(saved);
        long page = PhysicalMemory.PAGE_SIZE;
        for (long off = 0; off < saved.length; off += page) {
            int n = (int) Math.min(page, saved.length - off);
            if (src.asSlice(off, n).mismatch(host.asSlice(off, n)) < 0) continue;
            phys.write(r.base() + off, saved, (int) off, n, true);
        }
    }
}
