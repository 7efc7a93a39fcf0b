package dev.trapdoor.shell;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** Tiny guests written as bytes (assembled with as --32 / ld --oformat binary; the sources are below). */
final class TestGuests {
    private TestGuests() {}

    /**
     * Real mode at 0x1000: echoes every byte COM1 receives, polling LSR.DR; 'q' goes to
     * isa-debug-exit instead (status ('q' << 1) | 1 = 227).
     * <pre>
     *   mov $0x3fd,%dx; 1: in %dx,%al; test $1,%al; jz 1b; mov $0x3f8,%dx; in %dx,%al
     *   cmp $'q',%al; je 2f; out %al,%dx; mov $0x3fd,%dx; jmp 1b; 2: out %al,$0xf4; hlt
     * </pre>
     */
    static final String ECHO16 = "bafd03eca80174fbbaf803ec3c717406eebafd03ebede6f4f4";

    /** The status isa-debug-exit gives for 'q'. */
    static final int QUIT_STATUS = ('q' << 1) | 1;

    /**
     * A Multiboot 1 kernel with the a.out kludge (flags bit 16: loaded at 1 MiB from its header's
     * address fields), 32-bit flat: prints TRAPDOOR-USERSPACE-READY, its command line (from the
     * multiboot info, EBX+16), "TRAPDOOR-CMD-EXIT 3", then echoes COM1 input (polling) until 'q'
     * (isa-debug-exit, status 227) or 'h' (cli; hlt: a halt with interrupts off, as poweroff leaves it).
     * <pre>
     *   hdr: .long 0x1BADB002, 0x00010000, -(sum); .long hdr, hdr, 0, 0, start
     *   start: mov $0x90000,%esp; mov %ebx,%ebp; mov $ready,%esi; call puts; mov 16(%ebp),%esi; call puts
     *          mov $exitline,%esi; call puts
     *   echo:  mov $0x3fd,%dx; 1: in %dx,%al; test $1,%al; jz 1b; mov $0x3f8,%dx; in %dx,%al
     *          cmp $'q',%al; je quit; cmp $'h',%al; je halt; out %al,%dx; jmp echo
     *   quit:  out %al,$0xf4
     *   halt:  cli; hlt; jmp halt
     *   puts:  mov $0x3f8,%dx; 2: lodsb; test %al,%al; jz 3f; out %al,%dx; jmp 2b; 3: ret
     *   ready: .asciz "TRAPDOOR-USERSPACE-READY\n"; exitline: .asciz "\nTRAPDOOR-CMD-EXIT 3\n"
     * </pre>
     */
    static final String MULTIBOOT_ECHO = "02b0ad1b00000100fe4f51e40000100000001000000000000000000020001000bc0000090089ddbe6f001000"
            + "e8310000008b7510e829000000be89001000e81f00000066bafd03eca80174fb66baf803ec3c7174073c687405eeebe7e6f4faf4ebfc"
            + "66baf803ac84c07403eeebf8c354524150444f4f522d5553455253504143452d52454144590a000a54524150444f4f522d434d442d4558"
            + "495420330a00";

    static final int MULTIBOOT_CMD_STATUS = 3;

    static Path write(Path dir, String name, String hex) {
        try {
            return Files.write(dir.resolve(name), HexFormat.of().parseHex(hex));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
