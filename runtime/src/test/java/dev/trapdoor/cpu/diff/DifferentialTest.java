package dev.trapdoor.cpu.diff;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The interpreter against the host CPU on a fixed seeded sample (about 20k cases over all groups);
 * skipped where the host cannot run a static i386 ELF. scripts/cpu/difftest.sh runs the large version.
 */
class DifferentialTest {
    @Test
    @Timeout(300)
    void interpreterMatchesTheHostOnDefinedResults() throws Exception {
        Assumptions.assumeTrue(NativeRunner.available(), "host cannot run i386 ELF executables");
        DiffRun run = new DiffRun();
        run.run(0x5eed, 1500);
        assertTrue(run.totalCases() >= 20_000, run.report());
        assertEquals(0, run.nativeFailures, run.report());
        assertEquals(0, run.totalMismatches(), run.report());
    }

    /** The harness itself: a known case gives the known answer on both sides, and a difference is caught. */
    @Test
    void harnessReportsKnownResultsAndCatchesADifference() throws Exception {
        TestCase t = new TestCase("alu");
        t.regs[0] = 0xffffffff;
        t.regs[3] = 1;
        t.regs[4] = Harness.STACK_TOP;
        t.code = new byte[] {0x01, (byte) 0xd8, (byte) 0x89, 0x05, 0, 0, 0, 0}; // add %ebx,%eax; mov %eax,SCRATCH
        java.nio.ByteBuffer.wrap(t.code, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(Harness.SCRATCH);
        Harness.Image image = Harness.build(java.util.List.of(t));
        Harness.Outcome emu = InterpRunner.run(image)[0];
        assertEquals(0, emu.regs()[0]);
        assertEquals(Flags.CF | Flags.ZF | Flags.PF | Flags.AF, emu.eflags() & Flags.ARITH);
        Harness.Outcome changed = new Harness.Outcome(emu.regs().clone(), emu.eflags() ^ Flags.CF, emu.scratch().clone(), emu.fpu().clone(), -1);
        assertNotNull(DiffRun.compare(t, emu, changed), "a CF difference is reported");
        changed.scratch()[3] ^= 1;
        assertTrue(DiffRun.compare(t, emu, changed).contains("memory"));
        Assumptions.assumeTrue(NativeRunner.available(), "host cannot run i386 ELF executables");
        NativeRunner.Result host = NativeRunner.run(image);
        assertEquals(0, host.exitCode());
        assertNull(DiffRun.compare(t, host.outcomes()[0], emu));
        assertEquals(Harness.STACK_TOP, host.outcomes()[0].regs()[4]);
    }
}
