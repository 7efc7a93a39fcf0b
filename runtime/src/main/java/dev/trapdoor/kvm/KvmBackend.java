package dev.trapdoor.kvm;

import dev.trapdoor.backend.Backend;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitReason;
import java.util.Set;

/** TEMPORARY PLACEHOLDER (shell worktree only). */
public final class KvmBackend implements Backend {
    public static String availability() { return "placeholder: the KVM backend is being written."; }
    public String name() { return "kvm"; }
    public Set<ExitReason> exitReasons() { return Set.of(); }
    public void syncMemory(PhysicalMemory m) {}
    public VcpuBackend createVcpu(int i) { throw new UnsupportedOperationException(); }
    public void close() {}
}
