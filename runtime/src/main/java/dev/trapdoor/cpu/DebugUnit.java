package dev.trapdoor.cpu;

import java.util.Arrays;

/**
 * The breakpoint conditions a vCPU checks, built from the guest's debug registers (DR0-DR3, DR7
 * and CR4.DE, SDM Vol. 3B, 17.2) and the host debugger's stops whenever either changes. The CPU
 * holds none while nothing is set, so an undebugged guest pays nothing: data ranges keep their
 * pages out of the software TLB (only accesses to those pages reach {@link #access}), and
 * instruction conditions make only the blocks they fall in run instruction by instruction.
 *
 * <p>Also the hits of the instruction executing now: the DR6 B0-B3 bits of data and I/O
 * breakpoints (reported as one #DB trap after the instruction, SDM 17.3.1.2), and the first host
 * watch or vector that matched.
 */
final class DebugUnit {
    static final int DR6_BD = 1 << 13, DR6_BS = 1 << 14;
    static final int DR7_GD = 1 << 13;
    private static final int READ = 1, WRITE = 2;
    /** LEN field to byte count (SDM 17.2.5): 00 one byte, 01 two, 11 four; 10 eight on processors that define it. */
    private static final int[] LEN = {1, 2, 8, 4};

    final DebugStops host;
    /** Sorted linear addresses of instruction conditions: host breakpoints and enabled DR execute breakpoints. */
    private final long[] execAddrs;
    private final long[] hostBreakpoints;
    private final int execMask;
    private final long[] drAddr = new long[4];
    /** Enabled DR I/O breakpoints (R/W = 10 with CR4.DE) and their first port and length. */
    private final int ioMask;
    private final int[] ioPort = new int[4], ioLen = new int[4];
    /** Data ranges [lo, hi): owner 0-3 is DRn, owner 4+k is host watch k. */
    private final long[] lo, hi;
    private final int[] kinds, owners;
    private final boolean[] physical;
    /** Every instruction is checked: mnemonic or port stops, or DR I/O breakpoints. */
    final boolean everyInstruction;

    // ---- hits of the current instruction
    int drHits;
    int watchHit = -1;
    long hitLinear, hitPhysical, hitValue;
    int hitSize;
    boolean hitWrite;
    int vectorHit = -1;
    /** EIP of the instruction (or the interrupted one) that made the first hit, -1 before it. */
    long hitEip = -1;

    private DebugUnit(int[] dr, int cr4, long[] hostBreakpoints, DebugStops host) {
        this.host = host;
        this.hostBreakpoints = hostBreakpoints;
        int dr7 = dr[7];
        boolean de = (cr4 & 8) != 0;
        int exec = 0, io = 0;
        int n = host.watches.length;
        long[] l = new long[n + 4], h = new long[n + 4];
        int[] k = new int[n + 4], o = new int[n + 4];
        boolean[] p = new boolean[n + 4];
        int count = 0;
        long[] ex = Arrays.copyOf(hostBreakpoints, hostBreakpoints.length + 4);
        int exCount = hostBreakpoints.length;
        for (int b = 0; b < 4; b++) {
            if (((dr7 >>> (2 * b)) & 3) == 0) continue; // neither Ln nor Gn
            int rw = (dr7 >>> (16 + 4 * b)) & 3;
            int len = LEN[(dr7 >>> (18 + 4 * b)) & 3];
            // The low address bits a LEN covers are ignored: breakpoints are aligned to their length (17.2.5).
            long addr = (dr[b] & 0xffffffffL) & ~(long) (len - 1);
            switch (rw) {
                case 0 -> { // instruction execution: matches the first byte of an instruction
                    exec |= 1 << b;
                    drAddr[b] = dr[b] & 0xffffffffL;
                    ex[exCount++] = drAddr[b];
                }
                case 2 -> { // I/O reads or writes with CR4.DE; undefined without it, and then never matches
                    if (de) {
                        io |= 1 << b;
                        ioPort[b] = (int) (addr & 0xffff);
                        ioLen[b] = len;
                    }
                }
                default -> {
                    l[count] = addr;
                    h[count] = addr + len;
                    k[count] = rw == 1 ? WRITE : READ | WRITE; // 01 writes, 11 reads or writes (never fetches)
                    o[count] = b;
                    count++;
                }
            }
        }
        for (int w = 0; w < n; w++) {
            DebugStops.Watch watch = host.watches[w];
            l[count] = watch.address();
            h[count] = watch.address() + watch.length();
            k[count] = (watch.read() ? READ : 0) | (watch.write() ? WRITE : 0);
            o[count] = 4 + w;
            p[count] = watch.physical();
            count++;
        }
        lo = Arrays.copyOf(l, count);
        hi = Arrays.copyOf(h, count);
        kinds = Arrays.copyOf(k, count);
        owners = Arrays.copyOf(o, count);
        physical = Arrays.copyOf(p, count);
        execAddrs = Arrays.copyOf(ex, exCount);
        Arrays.sort(execAddrs);
        execMask = exec;
        ioMask = io;
        everyInstruction = io != 0 || !host.mnemonics.isEmpty() || host.ports.length != 0;
    }

    /** The unit for this state, or null when nothing is enabled (the CPU's fast paths then check nothing). */
    static DebugUnit build(int[] dr, int cr4, long[] hostBreakpoints, DebugStops host) {
        DebugUnit d = new DebugUnit(dr, cr4, hostBreakpoints, host);
        boolean empty = d.lo.length == 0 && d.execAddrs.length == 0 && d.ioMask == 0 && host.isEmpty();
        return empty ? null : d;
    }

    // ---- instruction conditions

    /** Whether a block covering linear [start, end) must run instruction by instruction. */
    boolean checksBlock(long start, long end) {
        if (everyInstruction) return true;
        if (execAddrs.length == 0) return false;
        int at = Arrays.binarySearch(execAddrs, start);
        if (at >= 0) return true;
        int next = -at - 1;
        return next < execAddrs.length && execAddrs[next] < end;
    }

    boolean hostBreakpoint(long linear) {
        return hostBreakpoints.length != 0 && Arrays.binarySearch(hostBreakpoints, linear) >= 0;
    }

    boolean mnemonicStop(Row row) {
        return !host.mnemonics.isEmpty() && row.mnemonic != null && host.mnemonics.contains(row.mnemonic);
    }

    /** B0-B3 of the enabled DR execute breakpoints at this instruction address. */
    int execHits(long linear) {
        int bits = 0;
        for (int b = 0; b < 4; b++) if ((execMask & (1 << b)) != 0 && drAddr[b] == linear) bits |= 1 << b;
        return bits;
    }

    boolean hasIoBreakpoints() {
        return ioMask != 0;
    }

    /** B0-B3 of the DR I/O breakpoints an access of size bytes at port overlaps. */
    int ioHits(int port, int size) {
        int bits = 0;
        for (int b = 0; b < 4; b++)
            if ((ioMask & (1 << b)) != 0 && port < ioPort[b] + ioLen[b] && ioPort[b] < port + size) bits |= 1 << b;
        return bits;
    }

    // ---- data conditions

    /** True when the linear page or the physical page holds a watched byte: such pages stay out of the TLB. */
    boolean watchesPages() {
        return lo.length > 0;
    }

    boolean watchesPage(int linear, long phys) {
        long lp = (linear & 0xffffffffL) >>> 12, pp = phys >>> 12;
        for (int r = 0; r < lo.length; r++) {
            long page = physical[r] ? pp : lp;
            if (page >= lo[r] >>> 12 && page <= (hi[r] - 1) >>> 12) return true;
        }
        return false;
    }

    /** Checks one data access against the ranges; records the hits; true if any range matched. */
    boolean access(int linear, long phys, int size, boolean write, long value) {
        long la = linear & 0xffffffffL;
        int need = write ? WRITE : READ;
        boolean any = false;
        for (int r = 0; r < lo.length; r++) {
            if ((kinds[r] & need) == 0) continue;
            long at = physical[r] ? phys : la;
            if (at >= hi[r] || lo[r] >= at + size) continue;
            any = true;
            int owner = owners[r];
            if (owner < 4) {
                drHits |= 1 << owner;
            } else if (watchHit < 0) {
                watchHit = owner - 4;
                hitLinear = la;
                hitPhysical = phys;
                hitSize = size;
                hitWrite = write;
                hitValue = value;
            }
        }
        return any;
    }

    /** A delivered vector the host stops on; records it. */
    boolean vector(int v) {
        if (!host.stopsOnVector(v)) return false;
        if (vectorHit < 0) vectorHit = v;
        return true;
    }

    boolean hasHits() {
        return drHits != 0 || watchHit >= 0 || vectorHit >= 0;
    }

    void clearHits() {
        drHits = 0;
        watchHit = -1;
        vectorHit = -1;
        hitEip = -1;
    }
}
