package dev.trapdoor.devices;

import java.util.Arrays;

/**
 * A thread-safe FIFO of bytes that grows as needed (up to a bound), for input that one thread
 * produces and the vCPU thread takes without blocking.
 */
final class ByteQueue {
    private final int limit;
    private byte[] ring = new byte[256];
    private int head;
    private int count;

    ByteQueue(int limit) {
        this.limit = limit;
    }

    /** Appends b; returns false (and drops it) if the queue holds limit bytes already. */
    synchronized boolean offer(int b) {
        if (count == limit) return false;
        if (count == ring.length) grow();
        ring[(head + count) % ring.length] = (byte) b;
        count++;
        notifyAll();
        return true;
    }

    /** The next byte, or -1 if the queue is empty. Never blocks. */
    synchronized int poll() {
        if (count == 0) return -1;
        int b = ring[head] & 0xff;
        head = (head + 1) % ring.length;
        count--;
        notifyAll();
        return b;
    }

    /** Waits until the queue has room for one byte; false if interrupted. */
    synchronized boolean awaitRoom() {
        while (count == limit) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    synchronized int size() {
        return count;
    }

    synchronized void clear() {
        head = 0;
        count = 0;
        notifyAll();
    }

    private void grow() {
        byte[] bigger = new byte[Math.min(limit, ring.length * 2)];
        for (int i = 0; i < count; i++) bigger[i] = ring[(head + i) % ring.length];
        Arrays.fill(ring, (byte) 0);
        ring = bigger;
        head = 0;
    }
}
