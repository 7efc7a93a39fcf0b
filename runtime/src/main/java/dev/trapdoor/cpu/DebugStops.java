package dev.trapdoor.cpu;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The host debugger's stops for one interpreter vCPU, invisible to the guest and not limited to
 * four like DR0-DR3: data watchpoints on linear or physical ranges, instruction mnemonics, I/O
 * port ranges and delivered vectors. Immutable: the runtime replaces it whole, and the vCPU
 * applies the new one before its next instruction.
 *
 * <p>A stop ends the run with an EXCEPTION_NMI exit, vector 1, that the guest never sees; the
 * exit's message says which kind ({@link #WATCHPOINT}, {@link #MNEMONIC}, {@link #PORT},
 * {@link #VECTOR}); {@link InterpreterVcpu#lastDebugHit()} has the details. Mnemonic and port stops
 * come before the instruction (the next run executes it); watchpoint stops after the accessing
 * instruction; vector stops after the CPU has delivered the event (EIP at the handler).
 */
public final class DebugStops {
    /** Exit messages of the host debugger's stops (the address breakpoint's is "breakpoint"). */
    public static final String BREAKPOINT = "breakpoint", WATCHPOINT = "watchpoint", MNEMONIC = "mnemonic",
            PORT = "port", VECTOR = "vector";

    /** One watched range: reads and/or writes of any byte of [address, address+length). */
    public record Watch(int id, long address, long length, boolean read, boolean write, boolean physical) {
        public Watch {
            if (length <= 0) throw new IllegalArgumentException("a watchpoint needs a positive length");
            if (!read && !write) throw new IllegalArgumentException("a watchpoint watches reads, writes or both");
            if (address < 0 || (!physical && address + length > 1L << 32))
                throw new IllegalArgumentException(String.format("%#x+%d is outside the 32-bit linear space", address, length));
        }

        boolean hits(long at, int size, boolean isWrite) {
            return (isWrite ? write : read) && at < address + length && address < at + size;
        }
    }

    /** An inclusive port range that stops IN, OUT, INS and OUTS before they execute. */
    public record PortRange(int id, int first, int last) {
        public PortRange {
            if (first < 0 || last > 0xffff || first > last) throw new IllegalArgumentException(String.format("bad port range %#x-%#x", first, last));
        }
    }

    public static final DebugStops NONE = new DebugStops(List.of(), Set.of(), List.of(), Set.of());

    final Watch[] watches;
    /** Row mnemonics as the opcode table spells them ("cpuid", "mov", "cbtw/cwtl"). */
    final Set<String> mnemonics;
    final PortRange[] ports;
    final long[] vectors = new long[4];

    public DebugStops(List<Watch> watches, Set<String> mnemonics, List<PortRange> ports, Collection<Integer> vectors) {
        this.watches = watches.toArray(new Watch[0]);
        for (String m : mnemonics) if (!OpcodeTable.mnemonics().contains(m)) throw new IllegalArgumentException("no instruction '" + m + "' in the opcode table");
        this.mnemonics = Set.copyOf(mnemonics);
        this.ports = ports.toArray(new PortRange[0]);
        for (int v : vectors) {
            if (v < 0 || v > 255) throw new IllegalArgumentException("vector " + v + " is not 0-255");
            this.vectors[v >>> 6] |= 1L << v;
        }
    }

    /**
     * The table's spelling of a mnemonic a person typed ("CPUID", "cwtl", "movl" with an AT&T
     * size suffix): the row mnemonic it names, or null when the opcode table has none.
     */
    public static String rowMnemonic(String typed) {
        String m = typed.trim().toLowerCase(Locale.ROOT);
        Set<String> all = OpcodeTable.mnemonics();
        if (all.contains(m)) return m;
        for (String row : all) {
            int slash = row.indexOf('/');
            if (slash > 0 && (row.substring(0, slash).equals(m) || row.substring(slash + 1).equals(m))) return row;
        }
        if (m.length() > 1 && "bwl".indexOf(m.charAt(m.length() - 1)) >= 0 && all.contains(m.substring(0, m.length() - 1)))
            return m.substring(0, m.length() - 1);
        return null;
    }

    boolean isEmpty() {
        return watches.length == 0 && mnemonics.isEmpty() && ports.length == 0 && (vectors[0] | vectors[1] | vectors[2] | vectors[3]) == 0;
    }

    boolean stopsOnVector(int v) {
        return (vectors[(v >>> 6) & 3] & (1L << v)) != 0;
    }

    PortRange portStop(int port) {
        for (PortRange p : ports) if (port >= p.first && port <= p.last) return p;
        return null;
    }

    @Override
    public String toString() {
        return "debug stops: " + Arrays.toString(watches) + " mnemonics " + mnemonics + " ports " + Arrays.toString(ports);
    }
}
