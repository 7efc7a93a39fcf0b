package dev.trapdoor.cpu.diff;

/** EFLAGS bit positions (SDM Vol. 1, 3.4.3). */
final class Flags {
    static final int CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, DF = 1 << 10, OF = 1 << 11;
    static final int ARITH = CF | PF | AF | ZF | SF | OF;

    private Flags() {}

    static String names(int bits) {
        StringBuilder sb = new StringBuilder();
        String[] n = {"CF", "PF", "AF", "ZF", "SF", "DF", "OF"};
        int[] b = {CF, PF, AF, ZF, SF, DF, OF};
        for (int i = 0; i < n.length; i++) if ((bits & b[i]) != 0) sb.append(sb.isEmpty() ? "" : " ").append(n[i]);
        return sb.toString();
    }
}
