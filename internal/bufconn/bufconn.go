// Package bufconn dials database connections whose reads go through a
// large buffer. The MariaDB driver reads 4 KiB from the socket at a time and
// pgx 8 KiB, a system call each: at a copy's or a verification's rate that
// is tens of thousands of reads a second, spent in the kernel.
package bufconn

import (
	"bufio"
	"context"
	"net"
	"syscall"
	"time"
)

// readBuffer is how much a connection reads from the socket at once.
const readBuffer = 256 << 10

// Dial connects like the drivers would, with a large read buffer between the
// socket and the driver.
func Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: 5 * time.Minute} // pgx's default
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetKeepAlive(true) // as the MariaDB driver does for the connections it dials
	}
	b := &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readBuffer)}
	if sc, ok := c.(syscall.Conn); ok {
		// The MariaDB driver checks an idle pooled connection for a server that
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
