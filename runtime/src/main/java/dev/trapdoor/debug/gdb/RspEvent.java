package dev.trapdoor.debug.gdb;

/** What a session thread takes from its queue: input from the client, a stop of the target, or the end of the connection. */
sealed interface RspEvent {
    /** A well-formed packet, its escapes and run-length encoding already decoded. */
    record Packet(byte[] data) implements RspEvent {}

    /** A packet that failed: a checksum mismatch (answered with '-' in ack mode) or malformed framing. */
    record Bad(String why, boolean checksum) implements RspEvent {}

    /** The 0x03 byte gdb sends for Ctrl-C. */
    record Interrupt() implements RspEvent {}

    record Ack() implements RspEvent {}

    record Nak() implements RspEvent {}

    /** The target stopped (posted by the thread that waits for it). */
    record Stopped(StopEvent stop) implements RspEvent {}

    /** The client closed the connection or reading failed. */
    record Closed(String why) implements RspEvent {}
}
