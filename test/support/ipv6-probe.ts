/**
 * An attacker's IPv6 probe, run with `python3 -c` inside a container (python3 is in the
 * stand-in images): on an AF_PACKET socket it sends a hand-built Ethernet + IPv6 + TCP
 * SYN to an address behind the bridge's MAC (the bridge's fe80:: link-local, or another
 * IPv6 address of the host), answers the host's neighbour solicitations itself (the
 * container's own IPv6 is off), and reports the host's reply.
 *
 * argv: <bridge MAC> <destination IPv6> <destination port>
 * Prints and exits: RAW-REFUSED (3) when the socket is not allowed, ANSWERED <synack|rst>
 * (0) when the host answered, NO-ANSWER (1) after 4 s.
 */
export const IPV6_SYN_PROBE = String.raw`
import os, random, select, socket, struct, sys, time
dst_mac = bytes.fromhex(sys.argv[1].replace(':', ''))
dst_ip = socket.inet_pton(socket.AF_INET6, sys.argv[2])
dport = int(sys.argv[3])
try:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
except PermissionError as e:
    print('RAW-REFUSED', e); sys.exit(3)
s.bind(('eth0', 0))
my_mac = bytes.fromhex(open('/sys/class/net/eth0/address').read().strip().replace(':', ''))
eui = bytes([my_mac[0] ^ 2]) + my_mac[1:3] + b'\xff\xfe' + my_mac[3:]
src_ip = b'\xfe\x80' + b'\x00' * 6 + eui

def csum(data):
    if len(data) % 2: data += b'\x00'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16: total = (total & 0xffff) + (total >> 16)
    return (~total) & 0xffff

def ip6(src, dst, nh, payload, hops=64):
    pseudo = src + dst + struct.pack('!I3xB', len(payload), nh)
    c = csum(pseudo + payload)
    off = 16 if nh == 6 else 2
    payload = payload[:off] + struct.pack('!H', c) + payload[off + 2:]
    return struct.pack('!IHBB', 6 << 28, len(payload), nh, hops) + src + dst + payload

sport = random.randint(20000, 60000)
syn = struct.pack('!HHIIBBHHH', sport, dport, random.randint(0, 2**32 - 1), 0, 5 << 4, 0x02, 64240, 0, 0)
frame = dst_mac + my_mac + b'\x86\xdd' + ip6(src_ip, dst_ip, 6, syn)
deadline = time.time() + 4
last = 0
while time.time() < deadline:
    if time.time() - last > 1:
        s.send(frame); last = time.time()
    if not select.select([s], [], [], 0.2)[0]: continue
    pkt = s.recv(65535)
    if pkt[12:14] != b'\x86\xdd': continue
    nh, src, dst, body = pkt[20], pkt[22:38], pkt[38:54], pkt[54:]
    if nh == 58 and body[0] == 135 and body[8:24] == src_ip:
        na = struct.pack('!BBHI', 136, 0, 0, 0x60000000) + src_ip + b'\x02\x01' + my_mac
        s.send(pkt[6:12] + my_mac + b'\x86\xdd' + ip6(src_ip, src, 58, na, 255))
    elif nh == 6 and src == dst_ip and struct.unpack('!H', body[2:4])[0] == sport:
        flags = body[13]
        print('ANSWERED', 'synack' if flags & 0x12 == 0x12 else 'rst' if flags & 0x04 else hex(flags)); sys.exit(0)
print('NO-ANSWER'); sys.exit(1)
`;
