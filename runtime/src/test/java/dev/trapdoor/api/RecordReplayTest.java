package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Record/replay and reverse execution on the snapshot test's timer guest. */
class RecordReplayTest {
    record Seen(long guestExit, ExitReason reason, long rip, long instructions) {}

    /** A hook that changes the run: at the 10th COM1 write it adds 5 to the tick count, so the guest ends 5 ticks early. */
    static Hook meddle(Vm vm) {
        int[] outs = {0};
        return vm.onExit("IO_INSTRUCTION", e -> {
            if (e.getPort() == 0x3f8 && ++outs[0] == 10) vm.getMem().poke16(0x500, vm.getMem().peek16(0x500) + 5);
            return Action.PASS;
        });
    }

    @Test
    void aReplayInAFreshMachineTakesTheSameExitsWithoutTheHooks() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = SnapshotTest.guest(hv, "64K");
            Recording rec = vm.record(0);
            meddle(vm);
            Hook stop = vm.onExit(e -> e.getSequence() == 40 ? Action.STOP : Action.PASS);
            assertEquals(StopReason.HOOK_STOP, vm.run().reason());
            vm.getVcpu().set("ebx", 3); // between runs, at a pending exit: the loop counter jumps
            vm.delete(stop.id());
            RunResult end = vm.run();
            assertEquals(StopReason.SHUTDOWN, end.reason());
            assertEquals((40 << 1) | 1, end.status(), "40 ticks counted, 5 of them by the hook");
            String digest = vm.getVcpu().getExitDigest();
            String state = SnapshotTest.finalState(vm);
            vm.stopRecording();
            assertTrue(rec.getEvents().stream().anyMatch(e -> e.kind() == Recording.Kind.MEMORY), rec.getEvents().toString());
            assertTrue(rec.getEvents().stream().anyMatch(e -> e.kind() == Recording.Kind.REGISTER && e.target().equals("ebx")), rec.getEvents().toString());

            Vm fresh = SnapshotTest.guest(hv, "64K");
            fresh.replay(rec);
            RunResult again = fresh.run();
            assertEquals(end.reason(), again.reason());
            assertEquals(end.status(), again.status());
            assertEquals(digest, fresh.getVcpu().getExitDigest(), "the same exit stream");
            assertEquals(state, SnapshotTest.finalState(fresh));

            Vm plain = SnapshotTest.guest(hv, "64K");
            plain.run();
            assertNotEquals(digest, plain.getVcpu().getExitDigest(), "without the recorded inputs the run differs (the digest can fail)");
            assertTrue(plain.getVcpu().getInstructions() > fresh.getVcpu().getInstructions(), "the hook's 5 ticks shortened the run");
        }
    }

    @Test
    void stoppingAndSteppingDoNotChangeTheGuestsExitStream() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm a = SnapshotTest.guest(hv, "64K");
            a.run();
            Vm b = SnapshotTest.guest(hv, "64K");
            for (int i = 0; i < 25; i++) b.getVcpu().step(997);
            b.run();
            assertEquals(a.getVcpu().getExitDigest(), b.getVcpu().getExitDigest());
            assertEquals(SnapshotTest.finalState(a), SnapshotTest.finalState(b));
        }
    }

    @Test
    void reverseContinueGoesBackToThePreviousExitOfAReason() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = SnapshotTest.guest(hv, "64K");
            vm.record(15);
            List<Seen> seen = new ArrayList<>();
            vm.onExit(e -> {
                seen.add(new Seen(e.guestNumber, e.getReason(), e.getRip(), vm.getVcpu().getInstructions()));
                return Action.PASS;
            });
            RunResult end = vm.run();
            assertEquals(StopReason.SHUTDOWN, end.reason());
            String finalState = SnapshotTest.finalState(vm);
            String digest = vm.getVcpu().getExitDigest();
            assertTrue(vm.getRecording().getCheckpointCount() > 3, vm.getRecording().toString());
            List<Seen> hlts = seen.stream().filter(s -> s.reason() == ExitReason.HLT).toList();
            int before = seen.size();

            Vcpu v = vm.getVcpu();
            for (int k = 1; k <= 3; k++) {
                RunResult r = v.reverseContinue("HLT");
                Seen want = hlts.get(hlts.size() - k);
                assertEquals(StopReason.BREAKPOINT, r.reason(), r.toString());
                assertEquals(want.guestExit(), r.exit().guestNumber);
                assertEquals(ExitReason.HLT, r.exit().getReason());
                assertEquals(want.rip(), r.exit().getRip());
                assertEquals(want.instructions(), v.getInstructions());
            }
            assertEquals(before, seen.size(), "hooks do not run while replaying");
            Seen io = seen.stream().filter(s -> s.reason() == ExitReason.IO_INSTRUCTION && s.guestExit() < hlts.get(hlts.size() - 3).guestExit())
                    .reduce((x, y) -> y).orElseThrow();
            RunResult r = v.reverseContinue(ExitReason.IO_INSTRUCTION);
            assertEquals(io.guestExit(), r.exit().guestNumber);
            assertEquals(io.instructions(), v.getInstructions());

            // one instruction back and forward again
            String here = v.regsText();
            long n = v.getInstructions();
            v.reverseStep(3);
            assertEquals(n - 3, v.getInstructions());
            v.step(3);
            assertEquals(n, v.getInstructions());
            assertEquals(here, v.regsText());

            RunResult rest = vm.run();
            assertEquals(end.reason(), rest.reason());
            assertEquals(end.status(), rest.status());
            assertEquals(finalState, SnapshotTest.finalState(vm), "replaying the future from a reverse stop ends where the run ended");
            assertThrows(IllegalStateException.class, () -> {
                Vm other = SnapshotTest.guest(hv, "64K");
                other.getVcpu().reverseContinue("HLT");
            });
            assertNotNull(digest);
        }
    }

    @Test
    void aRecordingFileReplaysInAFreshMachine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = SnapshotTest.guest(hv, "64K");
            Recording rec = vm.record(0);
            meddle(vm);
            vm.run();
            String digest = vm.getVcpu().getExitDigest();
            String file = dir.resolve("run.rec").toString();
            rec.write(file);

            Recording back = Recording.read(file);
            assertEquals(rec.getEvents().size(), back.getEvents().size());
            Vm fresh = SnapshotTest.guest(hv, "64K");
            fresh.replay(back);
            fresh.run();
            assertEquals(digest, fresh.getVcpu().getExitDigest());
            assertEquals(SnapshotTest.finalState(vm), SnapshotTest.finalState(fresh));

            byte[] bytes = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file));
            bytes[bytes.length - 9] ^= 1;
            java.nio.file.Files.write(java.nio.file.Path.of(file), bytes);
            var e = assertThrows(dev.trapdoor.snapshot.SnapshotException.class, () -> Recording.read(file));
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        }
    }
}
