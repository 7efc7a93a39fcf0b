package dev.trapdoor.api;

/**
 * The data access a watchpoint stopped on: where (linear and guest-physical), how wide, the value
 * read or written, and the EIP of the instruction that made it (the run stops after it, so the
 * vCPU's EIP is already past it).
 */
public record MemoryAccess(long address, long physical, int size, long value, boolean write, long eip) {
    public boolean isRead() { return !write; }
    public boolean isWrite() { return write; }

    @Override
    public String toString() {
        return String.format("%s of %d byte%s at %#x (physical %#x) by the instruction at %#x: %#x",
                write ? "write" : "read", size, size == 1 ? "" : "s", address, physical, eip, value);
    }
}
