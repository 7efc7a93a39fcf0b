package dev.trapdoor.memory;

import java.lang.foreign.MemorySegment;

/** One contiguous range of guest-physical space: RAM, ROM or an MMIO window. */
public sealed abstract class Region permits Region.Ram, Region.Rom, Region.Mmio {
    public enum Kind { RAM, ROM, MMIO, UNASSIGNED }

    private final String name;
    private final long base;
    private final long size;

    Region(String name, long base, long size) {
        this.name = name;
        this.base = base;
        this.size = size;
    }

    public String name() { return name; }
    public long base() { return base; }
    public long size() { return size; }
    public long end() { return base + size; }
    public boolean contains(long gpa) { return gpa >= base && gpa - base < size; }
    public abstract Kind kind();

    @Override
    public String toString() {
        return String.format("%-5s %08x-%08x %s", kind(), base, base + size - 1, name);
    }

    /** RAM backed by one host segment; the same segment is what KVM maps, so nothing is copied. */
    public static final class Ram extends Region {
        private final MemorySegment host;

        Ram(String name, long base, MemorySegment host) {
            super(name, base, host.byteSize());
            this.host = host;
        }

        public MemorySegment host() { return host; }
        @Override public Kind kind() { return Kind.RAM; }
    }

    /** Read-only memory: guest writes are dropped (and counted by the map). */
    public static final class Rom extends Region {
        private final MemorySegment host;

        Rom(String name, long base, MemorySegment host) {
            super(name, base, host.byteSize());
            this.host = host;
        }

        public MemorySegment host() { return host; }
        @Override public Kind kind() { return Kind.ROM; }
    }

    /** A device window: every access goes to the device. */
    public static final class Mmio extends Region {
        private final MmioDevice device;

        Mmio(String name, long base, long size, MmioDevice device) {
            super(name, base, size);
            this.device = device;
        }

        public MmioDevice device() { return device; }
        @Override public Kind kind() { return Kind.MMIO; }
    }
}
