package dev.trapdoor.api;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.snapshot.Snapshot;
import dev.trapdoor.snapshot.SnapshotException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Snapshots on the PC board: the machine after a restore runs on exactly as it did after the snapshot. */
class SnapshotTest {
    /**
     * Real mode at 0x1000 (as --32, .code16): the master 8259 at vector 0x20 with only IRQ0
     * unmasked, the PIT's channel 0 in mode 2 with count 1000, x87 on (fld1, then st0 doubled each
     * round); each round writes a character to COM1, adds CX into a word 300 times, and halts until
     * the next tick; after 40 ticks it stores st0 at 0x700 and writes the tick count to isa-debug-exit.
     * The handler at 0x1100 counts ticks at 0x500 and sends EOI.
     */
    static final String GUEST = "fa31c08ed88ed0bc0090b011e620b020e621b004e621b001e621b0fee621c70680000011c70682000000"
            + "b034e643b0e8e640b003e640dbe3d9e831dbfb43d8c089d8243f0430baf803eeb92c01010e0006e2faf4833e00052872e2fa"
            + "d91e0007a10005e7f4f4";
    static final String HANDLER = "ff06000550b020e62058cf";

    static Vm guest(Hypervisor hv, String memory) {
        Vm vm = hv.newVm().board("pc").memory(memory).build();
        vm.load(HexFormat.of().parseHex(GUEST), 0x1000);
        vm.load(HexFormat.of().parseHex(HANDLER), 0x1100);
        vm.getVcpu().resetRealMode(0, 0x1000);
        return vm;
    }

    /** The exit stream from here to the end, and the final state, as text. */
    record Outcome(List<String> exits, String state) {}

    static Outcome runToEnd(Vm vm) {
        List<String> exits = new ArrayList<>();
        Hook h = vm.onExit(e -> {
            exits.add(e.getReason() + " q=" + Long.toHexString(e.getQualification()) + " rip=" + Long.toHexString(e.getRip())
                    + " n=" + vm.getVcpu().getInstructions() + " t=" + vm.getClock().now());
            return Action.PASS;
        });
        RunResult r = vm.run();
        vm.delete(h.id());
        return new Outcome(exits, r.reason() + " status " + r.status() + "\n" + finalState(vm));
    }

    static String finalState(Vm vm) {
        Vcpu v = vm.getVcpu();
        byte[] ram = vm.memory().read(0, 64 * 1024);
        return v.regsText() + "\ninstructions " + v.getInstructions() + " clock " + vm.getClock().now()
                + " ram " + java.util.Arrays.hashCode(ram) + " st0@0x700 " + Long.toHexString(vm.memory().peek32(0x700))
                + " ticks " + vm.memory().peek16(0x500) + " timers " + vm.getClock().pendingTimers();
    }

    /** Runs until the exit with this sequence number, which stays pending (a stop in a hook). */
    static void runUntilExit(Vm vm, long sequence) {
        Hook h = vm.onExit(e -> e.getSequence() == sequence ? Action.STOP : Action.PASS);
        RunResult r = vm.run();
        vm.delete(h.id());
        assertEquals(StopReason.HOOK_STOP, r.reason(), r.toString());
    }

    @Test
    void aRestoredMachineRunsOnExactlyAsAfterTheSnapshot() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = guest(hv, "64K");
            runUntilExit(vm, 60);
            Snapshot snap = vm.snapshot();
            assertEquals(vm.getVcpu().getInstructions(), snap.getInstructions());
            assertEquals(60, snap.getExits());
            Outcome first = runToEnd(vm);
            assertTrue(first.exits().size() > 30, "the guest goes on for a while: " + first.exits().size());
            assertTrue(first.state().startsWith("SHUTDOWN status " + ((40 << 1) | 1)), first.state());

            vm.restore(snap);
            assertEquals(snap.getInstructions(), vm.getVcpu().getInstructions());
            Outcome second = runToEnd(vm);
            assertEquals(first.exits(), second.exits(), "the same exits at the same instructions and virtual times");
            assertEquals(first.state(), second.state());
        }
    }

    @Test
    void aSnapshotFileRestoresIntoAFreshMachine(@TempDir Path dir) throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = guest(hv, "64K");
            runUntilExit(vm, 77);
            Path file = dir.resolve("vm.snap");
            Snapshot saved = vm.save(file.toString());
            byte[] bytes = Files.readAllBytes(file);
            assertArrayEquals("TRAPSNAP".getBytes(), java.util.Arrays.copyOf(bytes, 8));
            Outcome first = runToEnd(vm);

            Vm other = guest(hv, "64K");
            other.restore(file.toString());
            assertEquals(saved.getInstructions(), other.getVcpu().getInstructions());
            Outcome second = runToEnd(other);
            assertEquals(first.exits(), second.exits());
            assertEquals(first.state(), second.state());
        }
    }

    @Test
    void aDamagedFileIsRefusedAndTheMachineIsLeftAsItWas(@TempDir Path dir) throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = guest(hv, "64K");
            runUntilExit(vm, 30);
            Path file = dir.resolve("vm.snap");
            vm.save(file.toString());
            runUntilExit(vm, 60);
            String before = finalState(vm);

            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length / 2] ^= 0x40;
            Path damaged = dir.resolve("damaged.snap");
            Files.write(damaged, bytes);
            SnapshotException e = assertThrows(SnapshotException.class, () -> vm.restore(damaged.toString()));
            assertTrue(e.getMessage().contains("damaged") && e.getMessage().contains("checksum"), e.getMessage());

            Path truncated = dir.resolve("truncated.snap");
            Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(file), 5000));
            e = assertThrows(SnapshotException.class, () -> vm.restore(truncated.toString()));
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());

            Path notOne = dir.resolve("text.snap");
            Files.writeString(notOne, "hello, this is not a snapshot at all");
            e = assertThrows(SnapshotException.class, () -> vm.restore(notOne.toString()));
            assertTrue(e.getMessage().contains("not a Trapdoor snapshot"), e.getMessage());

            bytes = Files.readAllBytes(file);
            bytes[8] = 9; // version 9
            Files.write(damaged, bytes);
            e = assertThrows(SnapshotException.class, () -> vm.restore(damaged.toString()));
            assertTrue(e.getMessage().contains("version 9"), e.getMessage());
            assertEquals(before, finalState(vm), "nothing changed");
        }
    }

    @Test
    void aSnapshotOfAnotherMachineIsRefused() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm small = guest(hv, "64K");
            Snapshot s = small.snapshot();
            Vm big = guest(hv, "128K");
            String before = finalState(big);
            SnapshotException e = assertThrows(SnapshotException.class, () -> big.restore(s));
            assertTrue(e.getMessage().contains("another machine") && e.getMessage().contains("0x10000"), e.getMessage());
            Vm mini = hv.newVm().memory("64K").build();
            e = assertThrows(SnapshotException.class, () -> mini.restore(s));
            assertTrue(e.getMessage().contains("another machine"), e.getMessage());
            assertEquals(before, finalState(big));
        }
    }

    @Test
    void aDeviceWithoutSavedStateIsNamed() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = guest(hv, "64K");
            vm.addDevice("lapic", new Object());
            SnapshotException e = assertThrows(SnapshotException.class, vm::snapshot);
            assertTrue(e.getMessage().contains("'lapic'") && e.getMessage().contains("no saved state"), e.getMessage());
        }
    }

    @Test
    void aBackendWithoutSavedStateIsRefused() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend(new ScriptedBackend()).memory("64K").build();
            SnapshotException e = assertThrows(SnapshotException.class, vm::snapshot);
            assertTrue(e.getMessage().contains("vCPUs have no saved state"), e.getMessage());
        }
    }

    @Test
    void registersWrittenBeforeTheSnapshotAreInIt() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = guest(hv, "64K");
            runUntilExit(vm, 10);
            vm.getVcpu().set("esi", 0x1234_5678L);
            Snapshot s = vm.snapshot("here");
            vm.getVcpu().set("esi", 0);
            vm.restore("here");
            assertEquals(0x1234_5678L, vm.getVcpu().get("esi"));
            X86Registers r = vm.getVcpu().getRegisters();
            assertEquals(s.getInstructions(), vm.getVcpu().getInstructions());
            assertEquals(0, r.cr0 & 1, "still real mode");
        }
    }
}
