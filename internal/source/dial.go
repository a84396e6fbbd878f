package source

import (
	"bufio"
	"context"
	"net"
	"syscall"
)

// readBuffer is how much a source connection reads from the socket at once.
// The driver reads 4 KiB at a time, a system call each: at a copy's rate
// that is tens of thousands of reads per second, spent in the kernel.
const readBuffer = 256 << 10

// dial connects like the driver would, with a large read buffer between the
// socket and the driver.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetKeepAlive(true) // as the driver does for the connections it dials
	}
	b := &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readBuffer)}
	if sc, ok := c.(syscall.Conn); ok {
		// The driver checks an idle pooled connection for a server that
		// went away on the socket itself; between requests the buffer
		// holds nothing, so that check still sees all there is.
		return struct {
			*bufferedConn
			syscall.Conn
		}{b, sc}, nil
	}
	return b, nil
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
