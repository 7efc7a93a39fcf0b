package dev.trapdoor.boot;

import dev.trapdoor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Consumer;

import static dev.trapdoor.boot.TestImages.*;
import static org.junit.jupiter.api.Assertions.*;

/** Mutated images (bytes flipped, fields overwritten, files cut): a loader loads them or refuses them with BadImageException, nothing else. */
class LoaderFuzzTest {
    static final int ROUNDS = 1500;

    @Test
    void mutatedImagesLoadOrGiveOneBadImageError() {
        byte[] elf = elf32(0x100000, new Seg(0x100000, pattern(0x400, 1), 0x800), new Seg(0x200000, pattern(0x100, 2), 0x100));
        byte[] mbElf = elf32(0x100000, multibootHeader(3), new Seg(0x100000, pattern(0x400, 1), 0x800));
        byte[] mbKludge = new byte[0x400];
        System.arraycopy(multibootHeader(MultibootHeader.ADDRESS_FIELDS, 0x100000, 0x100000, 0, 0x101000, 0x100000), 0, mbKludge, 0, 32);
        BzImage bz = new BzImage().payloadXz(LinuxBootLoaderTest.fakeVmlinux());
        bz.initSize = 0x100000;
        byte[] bzImage = bz.build();

        Random rnd = new Random(0x7ad00);
        try (PhysicalMemory m = ram(32 << 20)) {
            fuzz(rnd, elf, img -> ElfLoader.load(m, img));
            fuzz(rnd, mbElf, img -> new MultibootLoader().module("m", new byte[100]).load(m, img));
            fuzz(rnd, mbKludge, img -> new MultibootLoader().load(m, img));
            fuzz(rnd, bzImage, img -> new LinuxBootLoader(img).initrd(new byte[5000]).load(m));
            fuzz(rnd, bzImage, img -> new LinuxBootLoader(img).vmlinux(true).load(m));
            fuzz(rnd, bzImage, ImageProbe::detect);
        }
    }

    private static void fuzz(Random rnd, byte[] base, Consumer<byte[]> load) {
        int loaded = 0, refused = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] img = mutate(rnd, base);
            try {
                load.accept(img);
                loaded++;
            } catch (BadImageException e) {
                assertFalse(e.getMessage().isBlank());
                refused++;
            } catch (RuntimeException e) {
                fail("round " + i + ": " + e, e);
            }
        }
        assertEquals(ROUNDS, loaded + refused);
    }

    private static byte[] mutate(Random rnd, byte[] base) {
        byte[] b = base.clone();
        switch (rnd.nextInt(4)) {
            case 0 -> { for (int k = 1 + rnd.nextInt(8); k > 0; k--) b[rnd.nextInt(Math.min(b.length, 0x300))] = (byte) rnd.nextInt(); }
            case 1 -> { // a header field set to an extreme value
                int at = rnd.nextInt(Math.min(b.length, 0x2c0) - 4) & ~3;
                long[] extremes = {0, 0xffffffffL, 0x80000000L, 0x7fffffffL, b.length, 0x100000, 1};
                ImageBytes.put32(b, at, extremes[rnd.nextInt(extremes.length)]);
            }
            case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            default -> { for (int k = 1 + rnd.nextInt(32); k > 0; k--) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(); }
        }
        return b;
    }
}
