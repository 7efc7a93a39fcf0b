package dev.trapdoor.debug.gdb;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A tiny CPU for the stub's tests: GDB-layout registers and 64 KiB of memory at linear 0. It knows
 * five instructions: F4 hlt (waits for an interrupt), A2 imm32 (mov [imm32],al), A0 imm32
 * (mov al,[imm32]), E6 F4 (out 0xf4,al: exit with status al), and every other byte is a one-byte
 * no-op. Breakpoints compare EIP before each instruction; watchpoints check the access.
 */
final class FakeTarget implements GdbTarget {
    static final int MEMORY = 0x10000;

    record Watch(BreakpointType type, long address, int length) {
        boolean covers(long a, boolean write) {
            boolean kind = switch (type) {
                case WRITE_WATCH -> write;
                case READ_WATCH -> !write;
                default -> true;
            };
            return kind && a >= address && a < address + length;
        }
    }

    final I386Registers regs = new I386Registers();
    final byte[] memory = new byte[MEMORY];
    final Set<Long> software = Collections.synchronizedSet(new HashSet<>());
    final Set<Long> hardware = Collections.synchronizedSet(new HashSet<>());
    final List<Watch> watches = Collections.synchronizedList(new ArrayList<>());
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final BlockingQueue<StopEvent> stops = new LinkedBlockingQueue<>();
    private final Object lock = new Object();
    private volatile boolean interruptRequested;
    private volatile StopEvent exited;
    volatile boolean running;
    /** True while a hlt waits for an interrupt. */
    volatile boolean halted;
    volatile int instructions;

    FakeTarget(int eip) {
        regs.set(I386Layout.EIP, eip);
        regs.set(I386Layout.ESP, 0x8000);
        regs.set(I386Layout.EFLAGS, 0x202);
        regs.set(I386Layout.CS, 0x08);
        for (int s : new int[] {I386Layout.SS, I386Layout.DS, I386Layout.ES, I386Layout.FS, I386Layout.GS}) regs.set(s, 0x10);
        regs.set(I386Layout.FCTRL, 0x37F); // FNINIT state: all masked, 64-bit precision, empty stack
        regs.set(I386Layout.FTAG, 0xFFFF);
        java.util.Arrays.fill(memory, (byte) 0x90);
    }

    @Override
    public StopEvent attach() {
        calls.add("attach");
        return exited != null ? exited : StopEvent.signal(StopEvent.SIGTRAP);
    }

    @Override
    public void readRegisters(I386Registers r) {
        synchronized (lock) {
            r.copyFrom(regs);
        }
    }

    @Override
    public void writeRegisters(I386Registers r) {
        synchronized (lock) {
            regs.copyFrom(r);
        }
    }

    @Override
    public int readMemory(long linear, byte[] dst, int off, int len) {
        int n = (int) Math.max(0, Math.min(len, MEMORY - linear));
        if (n > 0) System.arraycopy(memory, (int) linear, dst, off, n);
        return n;
    }

    @Override
    public int writeMemory(long linear, byte[] src, int off, int len) {
        int n = (int) Math.max(0, Math.min(len, MEMORY - linear));
        if (n > 0) System.arraycopy(src, off, memory, (int) linear, n);
        return n;
    }

    @Override
    public void step() {
        calls.add("step");
        start(true);
    }

    @Override
    public void resume() {
        calls.add("resume");
        start(false);
    }

    @Override
    public StopEvent waitForStop() throws InterruptedException {
        return stops.take();
    }

    @Override
    public void interrupt() {
        calls.add("interrupt");
        synchronized (lock) {
            interruptRequested = true;
            lock.notifyAll();
        }
    }

    @Override
    public boolean insertBreakpoint(BreakpointType type, long linear, int length) {
        calls.add("insert " + type + " " + Long.toHexString(linear));
        switch (type) {
            case SOFTWARE -> software.add(linear);
            case HARDWARE -> {
                if (hardware.size() == 4) return false; // four debug registers, as DR0-DR3
                hardware.add(linear);
            }
            default -> watches.add(new Watch(type, linear, length));
        }
        return true;
    }

    @Override
    public boolean removeBreakpoint(BreakpointType type, long linear, int length) {
        calls.add("remove " + type + " " + Long.toHexString(linear));
        return switch (type) {
            case SOFTWARE -> software.remove(linear);
            case HARDWARE -> hardware.remove(linear);
            default -> watches.remove(new Watch(type, linear, length));
        };
    }

    @Override
    public void detach() {
        calls.add("detach");
    }

    @Override
    public void kill() {
        calls.add("kill");
    }

    @Override
    public String monitor(String command) {
        calls.add("monitor " + command);
        return switch (command) {
            case "exits" -> "exits: " + instructions + " instructions, 0 exits (fake target)\n";
            case "fail" -> throw new IllegalStateException("monitor failed on purpose");
            default -> "unknown command: " + command + "\n";
        };
    }

    private void start(boolean step) {
        interruptRequested = false;
        running = true;
        Thread.ofPlatform().daemon().name("fake-cpu").start(() -> {
            StopEvent s = run(step);
            running = false;
            if (s.isFinal()) exited = s;
            stops.add(s);
        });
    }

    private StopEvent run(boolean step) {
        while (true) {
            if (interruptRequested) return StopEvent.interrupted();
            int eip = regs.get(I386Layout.EIP);
            if (!step) {
                if (software.contains((long) eip)) return StopEvent.softwareBreakpoint();
                if (hardware.contains((long) eip)) return StopEvent.hardwareBreakpoint();
            }
            if (eip < 0 || eip + 6 > MEMORY) return StopEvent.signal(StopEvent.SIGSEGV);
            StopEvent s = execute(eip);
            instructions++;
            if (s != null) return s;
            if (step) return StopEvent.stepped();
        }
    }

    /** One instruction; a stop when it ends the run (watch, exit, interrupted hlt), else null. */
    private StopEvent execute(int eip) {
        int op = memory[eip] & 0xFF;
        synchronized (lock) {
            switch (op) {
                case 0xF4 -> {
                    regs.set(I386Layout.EIP, eip + 1);
                    halted = true;
                    while (!interruptRequested) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                    halted = false;
                    return StopEvent.interrupted();
                }
                case 0xA0, 0xA2 -> {
                    int addr = (memory[eip + 1] & 0xFF) | (memory[eip + 2] & 0xFF) << 8;
                    boolean write = op == 0xA2;
                    if (write) memory[addr] = (byte) regs.get(I386Layout.EAX);
                    else regs.set(I386Layout.EAX, regs.get(I386Layout.EAX) & ~0xFF | memory[addr] & 0xFF);
                    regs.set(I386Layout.EIP, eip + 5);
                    for (Watch w : watches) if (w.covers(addr, write)) return StopEvent.watchpoint(w.type(), w.address());
                    return null;
                }
                case 0xE6 -> {
                    regs.set(I386Layout.EIP, eip + 2);
                    if ((memory[eip + 1] & 0xFF) == 0xF4) return StopEvent.exited(regs.get(I386Layout.EAX) & 0xFF);
                    return null;
                }
                default -> {
                    regs.set(I386Layout.EIP, eip + 1);
                    return null;
                }
            }
        }
    }
}
