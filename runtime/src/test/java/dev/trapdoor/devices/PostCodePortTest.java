package dev.trapdoor.devices;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class PostCodePortTest {
    @Test
    void latchesAndCounts() {
        IoBus bus = new IoBus();
        PostCodePort post = new PostCodePort();
        bus.map("post", PostCodePort.DEFAULT_PORT, 1, post);
        assertEquals(0, bus.read(0x80, 1));
        bus.write(0x80, 1, 0xff);
        bus.write(0x80, 1, 0x42);
        assertEquals(0x42, bus.read(0x80, 1));
        assertEquals(0x42, post.lastValue());
        assertEquals(2, post.writes());
        post.reset();
        assertEquals(0, post.lastValue());
        assertEquals(0, post.writes());
    }

    @Test
    void wordWriteLatchesTheLowByteOnly() {
        IoBus bus = new IoBus();
        PostCodePort post = new PostCodePort();
        bus.map("post", 0x80, 1, post);
        bus.write(0x80, 2, 0x1234);                          // the bus splits it: 0x81 is unclaimed
        assertEquals(0x34, post.lastValue());
        assertEquals(1, post.writes());
        assertEquals(0xff34, bus.read(0x80, 2));
    }
}
