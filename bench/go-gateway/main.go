// Command cri-go-gateway is the comparison point of bench section D: the
// JSON gateway people build with grpc-gateway, here Debian's 1.6.4, in front
// of containerd. Every unary CRI method is a POST route
// /runtime.v1.RuntimeService/<Method> (or ImageService) with body "*"; the
// routes come from the grpc_api_configuration file the bench generates, and
// the handlers (api.pb.gw.go) from protoc-gen-grpc-gateway built from
// Debian's package source. It is compiled by the bench, in GOPATH mode with
// no network, from /usr/share/gocode and the stubs generated into a temp
// GOPATH.
//
// Usage:
//
//	cri-go-gateway -upstream /path/to/containerd.sock -listen 127.0.0.1:0
//
// Once listening it prints one line on stdout:
// {"ready":true,"url":"http://127.0.0.1:PORT"}. It exits on SIGTERM or when
// stdin closes.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// maxMessageBytes matches the kubelet's (and the gateway's) message limit.
const maxMessageBytes = 16 * 1024 * 1024

func main() {
	upstream := flag.String("upstream", "", "containerd's unix socket path")
	listen := flag.String("listen", "127.0.0.1:0", "HOST:PORT to serve JSON on")
	flag.Parse()
	if *upstream == "" {
		fmt.Fprintln(os.Stderr, "cri-go-gateway: -upstream is required")
		os.Exit(2)
	}

	// The kubelet's way of dialling a unix socket with grpc-go of this age:
	// the path is the target and a custom dialer opens it.
	conn, err := grpc.Dial(*upstream,
		grpc.WithInsecure(),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", addr)
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri-go-gateway: dial %s: %v\n", *upstream, err)
		os.Exit(1)
	}
	defer conn.Close()

	// NOTE: OrigName false gives canonical proto3 JSON (lowerCamelCase
	// names), the document Connect JSON carries, so both gateways send the
	// same bytes for the same answer. grpc-gateway 1.x defaults to the proto
	// field names instead.
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{OrigName: false}))
	ctx := context.Background()
	if err := runtimeapi.RegisterRuntimeServiceHandler(ctx, mux, conn); err != nil {
		fmt.Fprintf(os.Stderr, "cri-go-gateway: register RuntimeService: %v\n", err)
		os.Exit(1)
	}
	if err := runtimeapi.RegisterImageServiceHandler(ctx, mux, conn); err != nil {
		fmt.Fprintf(os.Stderr, "cri-go-gateway: register ImageService: %v\n", err)
		os.Exit(1)
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri-go-gateway: listen %s: %v\n", *listen, err)
		os.Exit(1)
	}
	server := &http.Server{Handler: mux}
	ready, _ := json.Marshal(map[string]interface{}{"ready": true, "url": "http://" + listener.Addr().String()})
	fmt.Println(string(ready))

	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		stdinClosed := make(chan struct{})
		go func() {
			io.Copy(ioutil.Discard, os.Stdin)
			close(stdinClosed)
		}()
		select {
		case <-signals:
		case <-stdinClosed:
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		server.Shutdown(shutdown)
	}()
	if err := server.Serve(listener); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "cri-go-gateway: serve: %v\n", err)
		os.Exit(1)
	}
}
