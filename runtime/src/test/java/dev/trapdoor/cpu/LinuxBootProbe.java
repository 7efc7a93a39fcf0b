package dev.trapdoor.cpu;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.boot.BootPlan;
import dev.trapdoor.boot.LinuxBootLoader;
import dev.trapdoor.devices.BufferCharBackend;
import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.serial.Uart16550;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A diagnostic harness, not a test: boots Debian's 686 kernel (vmlinux fast path) on a bare
 * interpreter vCPU with only a 16550 at 0x3f8 and no timer, printing the console as it comes and
 * the final state (EIP, disassembly, registers) when the guest stops. Run with
 * {@code java -cp <runtime classes + test classes + deps> dev.trapdoor.cpu.LinuxBootProbe [kernel] [seconds]
 * [busybox [command]]}: with a busybox the guest gets the standard initramfs around it.
 */
public final class LinuxBootProbe {
    static final String CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 acpi=off noapic nolapic "
            + "pci=off nokaslr lpj=1000000 cryptomgr.notests noisapnp";

    public static void main(String[] args) throws Exception {
        Path kernel = Path.of(args.length > 0 ? args[0] : "build/guests/bzImage-686");
        long seconds = args.length > 1 ? Long.parseLong(args[1]) : 120;
        if (!Files.exists(kernel)) {
            System.out.println("no kernel at " + kernel + " (scripts/guests/fetch.sh)");
            return;
        }
        PhysicalMemory memory = new PhysicalMemory();
        memory.addRam("ram", 0, 64L << 20);
        LinuxBootLoader loader = LinuxBootLoader.of(kernel).vmlinux(true).cmdline(CMDLINE);
        // Optional: a busybox initramfs and a command for its /init (trapdoor.cmd="...").
        if (args.length > 2) {
            loader.initrd(dev.trapdoor.boot.Initramfs.busybox(Files.readAllBytes(Path.of(args[2]))).toGzip());
            if (args.length > 3) loader.cmdline(CMDLINE + " trapdoor.cmd=\"" + args[3] + "\"");
        }
        BootPlan plan = loader.load(memory);
        System.out.println(plan);
        InterpreterBackend backend = new InterpreterBackend();
        backend.syncMemory(memory);
        InterpreterVcpu vcpu = (InterpreterVcpu) backend.createVcpu(0);
        vcpu.setRegisters(plan.initialRegisters());
        IoBus io = new IoBus();
        BufferCharBackend serial = new BufferCharBackend();
        io.map("com1", Uart16550.COM1_BASE, Uart16550.PORTS, new Uart16550(serial, IrqLine.NONE));
        CpuidTable cpuid = CpuidTable.interpreterDefault();
        Map<Integer, Long> msrs = new HashMap<>();
        ExitInfo e = new ExitInfo();
        X86Registers r = new X86Registers();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long exits = 0;
        String why;
        while (true) {
            vcpu.run(e);
            exits++;
            String out = serial.takeOutput();
            if (!out.isEmpty()) System.out.print(out);
            if (System.nanoTime() > deadline) {
                why = "time limit";
                break;
            }
            if (e.reason == ExitReason.IO_INSTRUCTION) {
                for (int k = 0; k < e.count; k++) {
                    long off = (long) k * e.size;
                    if (e.in) write(e, off, io.read(e.port, e.size));
                    else io.write(e.port, e.size, (int) read(e, off));
                }
                continue;
            }
            vcpu.getRegisters(r);
            if (e.reason == ExitReason.CPUID) {
                CpuidTable.Leaf l = cpuid.get(r.gpr[0], r.gpr[1]);
                r.gpr[0] = l.eax();
                r.gpr[3] = l.ebx();
                r.gpr[1] = l.ecx();
                r.gpr[2] = l.edx();
                r.eip += e.instructionLength;
                vcpu.setRegisters(r);
                continue;
            }
            if (e.reason == ExitReason.RDMSR || e.reason == ExitReason.WRMSR) {
                int idx = r.gpr[1];
                if (e.reason == ExitReason.RDMSR) {
                    long v = msrs.getOrDefault(idx, 0L);
                    r.gpr[0] = (int) v;
                    r.gpr[2] = (int) (v >>> 32);
                    System.out.printf("[rdmsr %x -> %x]%n", idx, v);
                } else {
                    msrs.put(idx, (r.gpr[0] & 0xffffffffL) | ((long) r.gpr[2] << 32));
                    System.out.printf("[wrmsr %x <- %x:%x]%n", idx, r.gpr[2], r.gpr[0]);
                }
                r.eip += e.instructionLength;
                vcpu.setRegisters(r);
                continue;
            }
            why = e.reason + " " + e.message + (e.vector >= 0 ? " vector " + e.vector + " error " + Integer.toHexString(e.errorCode) : "");
            break;
        }
        vcpu.getRegisters(r);
        System.out.println();
        System.out.println("=== stopped: " + why + " after " + vcpu.instructionsRetired() + " instructions, " + exits + " exits");
        System.out.printf("eip=%08x esp=%08x eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x%n"
                        + "eflags=%08x cs=%04x ss=%04x cr0=%08x cr2=%08x cr3=%08x cr4=%08x tr=%04x%n",
                r.eip, r.gpr[4], r.gpr[0], r.gpr[3], r.gpr[1], r.gpr[2], r.gpr[6], r.gpr[7], r.gpr[5],
                r.eflags, r.seg[X86Registers.CS].selector, r.seg[X86Registers.SS].selector, r.cr0, r.cr2, r.cr3, r.cr4, r.tr.selector);
        System.out.println(vcpu.core().describeAt(r.eip, 48));
    }

    private static long read(ExitInfo e, long off) {
        return switch (e.size) {
            case 1 -> e.data.get(ValueLayout.JAVA_BYTE, off) & 0xff;
            case 2 -> e.data.get(ValueLayout.JAVA_SHORT_UNALIGNED, off) & 0xffff;
            default -> e.data.get(ValueLayout.JAVA_INT_UNALIGNED, off) & 0xffffffffL;
        };
    }

    private static void write(ExitInfo e, long off, int v) {
        switch (e.size) {
            case 1 -> e.data.set(ValueLayout.JAVA_BYTE, off, (byte) v);
            case 2 -> e.data.set(ValueLayout.JAVA_SHORT_UNALIGNED, off, (short) v);
            default -> e.data.set(ValueLayout.JAVA_INT_UNALIGNED, off, v);
        }
    }
}
