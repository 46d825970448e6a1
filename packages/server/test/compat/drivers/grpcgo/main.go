// A grpc-go client for the compatibility tier: reads one call per line of stdin as JSON
// {"target","method","namespace","request" (base64 protobuf),"stream"} and prints one JSON line
// {"code","message","responses" (base64)} per call. Messages pass as raw bytes, so no generated
// code is needed; status texts are what grpc-go decodes from the wire.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	if b, ok := v.(*[]byte); ok {
		return *b, nil
	}
	return nil, fmt.Errorf("raw codec: unexpected %T", v)
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: unexpected %T", v)
	}
	*b = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

type call struct {
	Target    string `json:"target"`
	Method    string `json:"method"`
	Namespace string `json:"namespace"`
	Request   string `json:"request"`
	Stream    bool   `json:"stream"`
}

type result struct {
	Code      uint32   `json:"code"`
	Message   string   `json:"message"`
	Responses []string `json:"responses"`
}

func run(c call) result {
	request, err := base64.StdEncoding.DecodeString(c.Request)
	if err != nil {
		return result{Code: 2, Message: err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, c.Target, grpc.WithInsecure(),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		return result{Code: 14, Message: err.Error()}
	}
	defer conn.Close()
	if c.Namespace != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "containerd-namespace", c.Namespace)
	}
	responses := []string{}
	if !c.Stream {
		var response []byte
		err = conn.Invoke(ctx, c.Method, &request, &response)
		if err == nil {
			responses = append(responses, base64.StdEncoding.EncodeToString(response))
		}
	} else {
		desc := &grpc.StreamDesc{ServerStreams: true}
		var stream grpc.ClientStream
		stream, err = conn.NewStream(ctx, desc, c.Method)
		if err == nil {
			err = stream.SendMsg(&request)
		}
		if err == nil {
			err = stream.CloseSend()
		}
		for err == nil {
			var response []byte
			if err = stream.RecvMsg(&response); err == nil {
				responses = append(responses, base64.StdEncoding.EncodeToString(response))
			}
		}
		if err == io.EOF {
			err = nil
		}
	}
	s := status.Convert(err)
	return result{Code: uint32(s.Code()), Message: s.Message(), Responses: responses}
}

func main() {
	encoding.RegisterCodec(rawCodec{})
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		var c call
		if err := json.Unmarshal(scanner.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := out.Encode(run(c)); err != nil {
			os.Exit(2)
		}
	}
}
