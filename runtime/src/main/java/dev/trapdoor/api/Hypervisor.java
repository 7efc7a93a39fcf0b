package dev.trapdoor.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The root object scripts get: creates and lists VMs and tells which backends work on this host.
 * No global state: a test or a shell makes its own.
 */
public final class Hypervisor implements AutoCloseable {
    private final List<Vm> vms = new ArrayList<>();
    private int counter;

    public static Hypervisor create() {
        return new Hypervisor();
    }

    /** A builder for a new VM. */
    public VmBuilder newVm() {
        return new VmBuilder(this);
    }

    /** Groovy: {@code hv.createVm(memory: '1M', backend: 'kvm')}; JS: {@code hv.createVm({memory: '1M'})}. */
    public Vm createVm(Map<String, ?> options) {
        return new VmBuilder(this).options(options).build();
    }

    public Vm createVm() {
        return new VmBuilder(this).build();
    }

    synchronized void register(Vm vm) {
        vms.add(vm);
    }

    synchronized String nextName() {
        return "vm" + counter++;
    }

    public synchronized List<Vm> getVms() {
        return Collections.unmodifiableList(new ArrayList<>(vms));
    }

    public synchronized Vm vm(String name) {
        for (Vm v : vms) if (v.getName().equals(name)) return v;
        throw new IllegalArgumentException("no VM named '" + name + "'");
    }

    /** Backend name to null (usable) or the reason it is not. */
    public Map<String, String> getBackends() {
        Map<String, String> m = new LinkedHashMap<>();
        for (BackendKind k : BackendKind.values()) m.put(k.id(), Backends.availability(k));
        return m;
    }

    public boolean isKvmAvailable() {
        return Backends.availability(BackendKind.KVM) == null;
    }

    /** Removes a VM and frees its memory. */
    public synchronized void destroy(Vm vm) {
        vms.remove(vm);
        vm.close();
    }

    @Override
    public synchronized void close() {
        for (Vm v : vms) v.close();
        vms.clear();
    }
}
