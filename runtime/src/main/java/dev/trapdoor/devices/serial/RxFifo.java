package dev.trapdoor.devices.serial;

/**
 * The receiver FIFO: up to 16 characters, each with the error bits (LSR PE/FE/BI) it arrived
 * with. In 16450 mode the UART uses it with capacity 1 as the receiver buffer register.
 */
final class RxFifo {
    private final byte[] data = new byte[UartRegisters.FIFO_SIZE];
    private final byte[] errors = new byte[UartRegisters.FIFO_SIZE];
    private int head;
    private int count;

    int count() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    void push(int ch, int errorBits) {
        int i = (head + count) % data.length;
        data[i] = (byte) ch;
        errors[i] = (byte) errorBits;
        count++;
    }

    /** Replaces the newest character (16450 overrun: the new character overwrites the RBR). */
    void replaceNewest(int ch, int errorBits) {
        int i = (head + count - 1) % data.length;
        data[i] = (byte) ch;
        errors[i] = (byte) errorBits;
    }

    /** Removes and returns the oldest character; the FIFO must not be empty. */
    int pop() {
        int ch = data[head] & 0xff;
        head = (head + 1) % data.length;
        count--;
        return ch;
    }

    /** The error bits of the oldest character, or 0 if empty. */
    int topErrors() {
        return count == 0 ? 0 : errors[head];
    }

    /** Whether a character other than the oldest carries an error. */
    boolean errorsBehindTop() {
        for (int k = 1; k < count; k++) {
            if (errors[(head + k) % data.length] != 0) return true;
        }
        return false;
    }

    boolean anyErrors() {
        return topErrors() != 0 || errorsBehindTop();
    }

    void clear() {
        head = 0;
        count = 0;
    }

    /** The character at position k from the oldest (for snapshots). */
    int dataAt(int k) {
        return data[(head + k) % data.length] & 0xff;
    }

    int errorsAt(int k) {
        return errors[(head + k) % data.length];
    }
}
