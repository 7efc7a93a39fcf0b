package dev.trapdoor.api;

import dev.trapdoor.arch.Segment;
import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;

/** An X86Registers as bytes, for a recorded setRegisters. */
final class RegisterBytes {
    private RegisterBytes() {}

    static byte[] encode(X86Registers r) {
        StateWriter w = new StateWriter().ints(r.gpr).i32(r.eip).i32(r.eflags);
        for (Segment s : r.seg) segment(w, s);
        segment(w, r.ldtr);
        segment(w, r.tr);
        w.i64(r.gdtBase).i32(r.gdtLimit).i64(r.idtBase).i32(r.idtLimit);
        w.i64(r.cr0).i64(r.cr2).i64(r.cr3).i64(r.cr4).i64(r.efer);
        return w.toByteArray();
    }

    static X86Registers decode(byte[] b) {
        StateReader in = new StateReader("recorded registers", b);
        X86Registers r = new X86Registers();
        in.intsInto(r.gpr);
        r.eip = in.i32();
        r.eflags = in.i32();
        for (Segment s : r.seg) segment(in, s);
        segment(in, r.ldtr);
        segment(in, r.tr);
        r.gdtBase = in.i64();
        r.gdtLimit = in.i32();
        r.idtBase = in.i64();
        r.idtLimit = in.i32();
        r.cr0 = in.i64();
        r.cr2 = in.i64();
        r.cr3 = in.i64();
        r.cr4 = in.i64();
        r.efer = in.i64();
        in.done();
        return r;
    }

    private static void segment(StateWriter w, Segment s) {
        w.i32(s.selector).i64(s.base).i64(s.limit).i32(s.access);
    }

    private static void segment(StateReader in, Segment s) {
        s.selector = in.i32();
        s.base = in.i64();
        s.limit = in.i64();
        s.access = in.i32();
    }
}
