package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;

import java.util.ArrayList;

/**
 * Decoded blocks keyed by the physical address of their first byte and the code size they were
 * decoded for, shared by the vCPUs of one backend. Pages that hold blocks are marked in the
 * memory map; a write there (by a guest store or a host load) reaches {@link #codeWritten}, which
 * drops the blocks the write overlaps and unmarks pages left without blocks.
 *
 * <p>The cache is bounded: a guest that runs code at ever new addresses (random jumps across its
 * RAM) would otherwise fill the host's heap. At {@link #MAX_BLOCKS} blocks every one is dropped and
 * decoding starts afresh, as QEMU flushes its translation cache when the code buffer is full.
 */
final class BlockCache implements PhysicalMemory.CodeWriteListener {
    /** A Linux boot decodes some tens of thousands of blocks; this bounds a hostile guest at a few hundred MB. */
    static final int MAX_BLOCKS = 1 << 17;

    private final PhysicalMemory memory;
    private final int maxBlocks;
    private final LongMap<Block> blocks = new LongMap<>(4096);
    private final LongMap<ArrayList<Block>> byPage = new LongMap<>(1024);
    /** Bumped whenever a page becomes a code page: vCPUs then drop their write-TLB entries. */
    private volatile int codePageEpoch;
    private long decoded, invalidated, flushes;

    BlockCache(PhysicalMemory memory) {
        this(memory, MAX_BLOCKS);
    }

    BlockCache(PhysicalMemory memory, int maxBlocks) {
        this.memory = memory;
        this.maxBlocks = maxBlocks;
        memory.addCodeWriteListener(this);
    }

    private static long key(long phys, boolean code32) {
        return code32 ? phys | (1L << 40) : phys;
    }

    synchronized Block get(long phys, boolean code32) {
        return blocks.get(key(phys, code32));
    }

    synchronized void put(Block b) {
        Block old = blocks.get(key(b.phys, b.code32));
        if (old != null) remove(old);
        else if (blocks.size() >= maxBlocks) flushAll();
        blocks.put(key(b.phys, b.code32), b);
        boolean marked = false;
        for (int k = 0; k < b.pageCount(); k++) {
            long p = b.page(k);
            ArrayList<Block> list = byPage.get(p);
            if (list == null) {
                list = new ArrayList<>(4);
                byPage.put(p, list);
            }
            list.add(b);
            if (!memory.isCodePage(p << 12)) {
                memory.markCodePage(p << 12);
                marked = true;
            }
        }
        decoded++;
        if (marked) codePageEpoch++;
    }

    int codePageEpoch() {
        return codePageEpoch;
    }

    @Override
    public synchronized void codeWritten(long gpa, int length) {
        long first = gpa >>> 12, last = (gpa + Math.max(length, 1) - 1) >>> 12;
        for (long p = first; p <= last; p++) {
            ArrayList<Block> list = byPage.get(p);
            if (list == null) continue;
            for (int k = list.size() - 1; k >= 0; k--) {
                Block b = list.get(k);
                if (b.overlaps(gpa, length)) remove(b);
            }
        }
    }

    private void remove(Block b) {
        b.valid = false;
        invalidated++;
        long k = key(b.phys, b.code32);
        if (blocks.get(k) == b) blocks.remove(k);
        for (int j = 0; j < b.pageCount(); j++) {
            long p = b.page(j);
            ArrayList<Block> list = byPage.get(p);
            if (list == null) continue;
            list.remove(b);
            if (list.isEmpty()) {
                byPage.remove(p);
                memory.clearCodePage(p << 12);
            }
        }
    }

    /** Drops every block (chains to them see {@code valid == false}) and unmarks every code page. */
    private void flushAll() {
        blocks.forEachValue(b -> b.valid = false);
        invalidated += blocks.size();
        byPage.forEachKey(p -> memory.clearCodePage(p << 12));
        blocks.clear();
        byPage.clear();
        flushes++;
    }

    synchronized long flushes() {
        return flushes;
    }

    synchronized int size() {
        return blocks.size();
    }

    synchronized long decodedBlocks() {
        return decoded;
    }

    synchronized long invalidatedBlocks() {
        return invalidated;
    }
}
