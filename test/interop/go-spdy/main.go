// spdy-exec: runs one Exec/Attach session over SPDY/3.1 the way client-go's
// remotecommand v4 executor does (kubectl, crictl), using Debian's
// spdystream: an HTTP/1.1 upgrade to SPDY/3.1 offering v4.channel.k8s.io,
// then one stream per stdio channel, each named by its streamType header,
// the error stream first. Prints the session's stdout and stderr, and exits
// with the command's exit code (from the v4 status on the error stream), 0
// for success, or 125 when the session itself failed. It always opens stdout
// and stderr streams, so the Exec or Attach call must ask for both.
//
// With -portforward it speaks portforward.k8s.io instead, as kubectl
// port-forward does: an error and a data stream (headers streamType, port,
// requestID) for one forwarded connection; it sends DATA, half-closes, and
// prints what comes back.
//
// usage: spdy-exec URL [STDIN]
//        spdy-exec -portforward URL PORT DATA
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/moby/spdystream"
)

type status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Details struct {
		Causes []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"causes"`
	} `json:"details"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "spdy-exec: "+format+"\n", args...)
	os.Exit(125)
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "-portforward" {
		portForward(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	if len(os.Args) < 2 {
		fail("usage: spdy-exec URL [STDIN] | spdy-exec -portforward URL PORT DATA")
	}
	withStdin := len(os.Args) > 2
	session := upgrade(os.Args[1], "v4.channel.k8s.io", "channel.k8s.io")
	defer session.Close()

	open := func(kind string) *spdystream.Stream {
		headers := http.Header{}
		headers.Set("streamType", kind)
		stream, err := session.CreateStream(headers, nil, false)
		if err != nil {
			fail("create %s stream: %v", kind, err)
		}
		if err := stream.Wait(); err != nil {
			fail("%s stream not accepted: %v", kind, err)
		}
		return stream
	}
	// client-go's order: error, then stdin, stdout, stderr.
	errorStream := open("error")
	var stdin *spdystream.Stream
	if withStdin {
		stdin = open("stdin")
	}
	stdout := open("stdout")
	stderr := open("stderr")

	var wg sync.WaitGroup
	copyOut := func(to io.Writer, from io.Reader) {
		defer wg.Done()
		io.Copy(to, from)
	}
	wg.Add(2)
	go copyOut(os.Stdout, stdout)
	go copyOut(os.Stderr, stderr)
	if stdin != nil {
		io.WriteString(stdin, os.Args[2])
		stdin.Close()
	}
	message, _ := io.ReadAll(errorStream)
	wg.Wait()

	if len(message) == 0 {
		os.Exit(0)
	}
	var result status
	if err := json.Unmarshal(message, &result); err != nil {
		fail("error stream is not a status: %q", string(message))
	}
	if result.Status == "Success" {
		os.Exit(0)
	}
	for _, cause := range result.Details.Causes {
		if cause.Reason == "ExitCode" {
			code, err := strconv.Atoi(cause.Message)
			if err == nil {
				os.Exit(code)
			}
		}
	}
	fail("session failed: %s", result.Message)
}

// upgrade switches a connection to target to SPDY/3.1, offering protocols
// (the first one must be chosen), and starts serving the session.
func upgrade(rawURL string, protocols ...string) *spdystream.Connection {
	target, err := url.Parse(rawURL)
	if err != nil {
		fail("bad URL: %v", err)
	}
	conn, err := net.DialTimeout("tcp", target.Host, 10*time.Second)
	if err != nil {
		fail("dial: %v", err)
	}
	request := "POST " + target.RequestURI() + " HTTP/1.1\r\n" +
		"Host: " + target.Host + "\r\n" +
		"Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
	for _, protocol := range protocols {
		request += "X-Stream-Protocol-Version: " + protocol + "\r\n"
	}
	request += "Content-Length: 0\r\n\r\n"
	if _, err := io.WriteString(conn, request); err != nil {
		fail("write upgrade: %v", err)
	}
	reader := bufio.NewReader(conn)
	response, err := http.ReadResponse(reader, nil)
	if err != nil {
		fail("read upgrade answer: %v", err)
	}
	if response.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(response.Body)
		fail("upgrade refused: HTTP %d: %s", response.StatusCode, string(body))
	}
	if got := response.Header.Get("X-Stream-Protocol-Version"); got != protocols[0] {
		fail("server chose protocol %q, want %s", got, protocols[0])
	}
	if reader.Buffered() > 0 {
		fail("server sent %d bytes before any stream was opened", reader.Buffered())
	}
	session, err := spdystream.NewConnection(conn, false)
	if err != nil {
		fail("spdy: %v", err)
	}
	go session.Serve(spdystream.NoOpStreamHandler)
	return session
}

// portForward forwards one connection to port: sends data, half-closes,
// prints the answer and anything on the error stream.
func portForward(rawURL, port, data string) {
	session := upgrade(rawURL, "portforward.k8s.io")
	defer session.Close()
	open := func(kind string) *spdystream.Stream {
		headers := http.Header{}
		headers.Set("streamType", kind)
		headers.Set("port", port)
		headers.Set("requestID", "0")
		stream, err := session.CreateStream(headers, nil, false)
		if err != nil {
			fail("create %s stream: %v", kind, err)
		}
		if err := stream.Wait(); err != nil {
			fail("%s stream not accepted: %v", kind, err)
		}
		return stream
	}
	errorStream := open("error")
	dataStream := open("data")
	io.WriteString(dataStream, data)
	dataStream.Close()
	answer, _ := io.ReadAll(dataStream)
	os.Stdout.Write(answer)
	if message, _ := io.ReadAll(errorStream); len(message) > 0 {
		fail("port forward error: %s", string(message))
	}
}
