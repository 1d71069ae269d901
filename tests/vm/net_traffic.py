#!/usr/bin/env python3
"""Loopback traffic with known properties for the VM's network tests (tests/vm/core_net.c,
tcpconnect_kprobe.c, tcplife_kprobe.c):

    net_traffic.py TCP_CONNECTS UDP_DATAGRAMS [PAYLOAD_BYTES]

TCP: that many connections to a listener on 127.0.0.1:47011, each sending PAYLOAD_BYTES
(default 1000) then closing. UDP: that many datagrams of 1234 bytes to 127.0.0.1:47012."""
import socket
import sys

TCP_PORT, UDP_PORT = 47011, 47012


def main():
    n_tcp, n_udp = int(sys.argv[1]), int(sys.argv[2])
    payload = b"x" * (int(sys.argv[3]) if len(sys.argv) > 3 else 1000)
    with socket.socket() as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", TCP_PORT))
        srv.listen(8)
        srv.settimeout(10)
        for _ in range(n_tcp):
            with socket.create_connection(("127.0.0.1", TCP_PORT), timeout=10) as c:
                peer, _addr = srv.accept()
                with peer:
                    c.sendall(payload)
                    got = 0
                    while got < len(payload):
                        got += len(peer.recv(65536))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", UDP_PORT))
        rx.settimeout(10)
        tx.connect(("127.0.0.1", UDP_PORT))  # a connected socket: its skc_dport is set
        for _ in range(n_udp):
            tx.send(b"u" * 1234)
            rx.recv(65536)


if __name__ == "__main__":
    main()
