package dev.trapdoor.cpu;

/**
 * What the last host debugger stop of an interpreter vCPU saw.
 *
 * @param kind     the exit message: {@link DebugStops#WATCHPOINT}, {@link DebugStops#MNEMONIC},
 *                 {@link DebugStops#PORT}, {@link DebugStops#VECTOR} or {@link DebugStops#BREAKPOINT}
 * @param id       the id of the watch or port range that matched (0 for the other kinds)
 * @param eip      EIP of the instruction that made the access, is about to execute, or was
 *                 interrupted by the vector
 * @param linear   the accessed linear address (watchpoints), the instruction's linear address otherwise
 * @param physical the accessed guest-physical address (watchpoints), -1 otherwise
 * @param size     access size in bytes (watchpoints and ports)
 * @param write    a write (watchpoints) or OUT/OUTS (ports)
 * @param value    the value read or written (watchpoints), the delivered vector (vector stops)
 * @param mnemonic the instruction's mnemonic as the opcode table spells it (mnemonic stops), else null
 */
public record DebugHit(String kind, int id, long eip, long linear, long physical, int size, boolean write, long value, String mnemonic) {}
