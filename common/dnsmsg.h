/*
 * dnsmsg — the DNS message codec (RFC 1035 §4, EDNS0 per RFC 6891). Protocol numbers live here.
 *
 * Parsing is strict: every read goes through struct rbuf, section counts are checked against
 * the bytes present, names are decoded with dname_decode(). Building writes through struct
 * wbuf with name compression (RFC 1035 §4.1.4) for owners and for the names inside the rdata
 * of the RFC 1035 types (NS, CNAME, PTR, MX, SOA) only, as RFC 3597 §4 requires.
 * No sockets, no allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/wbuf.h"

#define DNSMSG_HDRLEN 12
#define DNSMSG_UDP_MIN 512     /* RFC 1035 §2.3.4 limit without EDNS */
#define DNSMSG_EDNS_SIZE 1232  /* our advertised UDP payload size */
#define DNSMSG_MAX 65535

enum dns_type {
    DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12, DNS_T_HINFO = 13,
    DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41,
    DNS_T_DS = 43, DNS_T_RRSIG = 46, DNS_T_TSIG = 250, DNS_T_IXFR = 251, DNS_T_AXFR = 252, DNS_T_MAILB = 253,
    DNS_T_MAILA = 254, DNS_T_ANY = 255,
};

enum dns_class { DNS_C_IN = 1, DNS_C_CH = 3, DNS_C_NONE = 254, DNS_C_ANY = 255 };

enum dns_rcode {
    DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
    DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5, DNS_R_BADVERS = 16,
};

enum dns_opcode { DNS_OP_QUERY = 0, DNS_OP_NOTIFY = 4, DNS_OP_UPDATE = 5 };

/* header flag bits (second 16-bit word) */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_EDNS_DO 0x8000

struct dnsmsg_header {
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/** What a server needs to know of a query. */
struct dnsmsg_query {
    struct dnsmsg_header hdr;
    uint8_t qname[DNAME_MAXLEN]; /* lowercased wire form */
    size_t qname_len;
    uint16_t qtype, qclass;
    size_t question_end;  /* offset just past the question in the packet */
    bool has_edns;
    uint8_t edns_version;
    uint16_t edns_udp;    /* requested payload size, raised to 512 when lower */
    bool edns_do;
    uint8_t opcode;       /* DNS_OP_QUERY or DNS_OP_NOTIFY (the others are NOTIMP) */
    bool has_ixfr_serial; /* an IXFR with the client's SOA first in the authority section */
    uint32_t ixfr_serial; /* that SOA's serial (RFC 1995 §3) */
    size_t tsig_off;      /* offset of the TSIG record, the last one of the message; 0: none */
};

/** Outcome of dnsmsg_parse_query(), telling the server how to react. */
enum dnsmsg_verdict {
    DNSMSG_OK,        /* a well-formed query */
    DNSMSG_DROP,      /* not worth an answer: shorter than a header, or QR=1 */
    DNSMSG_FORMERR,   /* malformed; hdr is valid, and the question too when qname_len > 0 */
    DNSMSG_NOTIMP,    /* an opcode we do not serve; hdr is valid */
};

/** Reads a 12-byte header; false when fewer bytes are present. */
bool dnsmsg_header_decode(struct rbuf *rb, struct dnsmsg_header *h);

/**
 * Parses a query (opcode QUERY or NOTIFY) strictly: exactly one question, every RR of the
 * other sections well formed and inside the packet, at most one OPT (in the additional
 * section, owner root), at most one TSIG and only as the very last record (RFC 8945 §5.1).
 * For an IXFR, the serial of an SOA record owned by the qname first in the authority section.
 */
enum dnsmsg_verdict dnsmsg_parse_query(const uint8_t *pkt, size_t len, struct dnsmsg_query *q);

/** Skips one resource record; returns its type, or -1 (rb->err set) when malformed. */
int dnsmsg_skip_rr(struct rbuf *rb);

/* ---- building ---------------------------------------------------------------------- */

/*
 * Compression (RFC 1035 §4.1.4) remembers every suffix of the names written uncompressed at
 * an offset a pointer can reach (below 0x4000) in an open-addressing hash table keyed by the
 * lowercased label sequence: a name costs one lookup per label, longest suffix first, and one
 * comparison against the message where a lookup hits. Matching ignores ASCII case, as names
 * do (RFC 4343); the first writing of a name keeps the case it was given. Slots are claimed
 * in order and remembered in `log`, so a record that does not fit gives its suffixes back
 * (linear probing undone last-in first-out leaves the table exactly as before). Only the
 * bitmap of used slots is cleared when a message begins.
 */
#define DNSMSG_COMP_SLOTS 1024 /* a power of two */
#define DNSMSG_COMP_MAX 768    /* suffixes remembered per message: the table 3/4 full at most */

/** A response under construction; counts are patched into the header by dnsmsg_finish(). */
struct dnsmsg_builder {
    struct wbuf wb;
    uint16_t counts[4];             /* qd, an, ns, ar */
    unsigned ncomp;                 /* suffixes remembered, in log */
    uint16_t prev_owner;            /* where the last record's owner is spelled out; 0: none */
    uint64_t used[DNSMSG_COMP_SLOTS / 64];
    uint16_t log[DNSMSG_COMP_MAX];  /* their slots, in the order they were claimed */
    struct {
        uint16_t off;               /* where the suffix starts in the message */
        uint16_t tag;               /* the upper bits of its hash */
    } slot[DNSMSG_COMP_SLOTS];
};

enum dnsmsg_section { DNSMSG_QD = 0, DNSMSG_AN = 1, DNSMSG_NS = 2, DNSMSG_AR = 3 };

/** Starts a message in buf with the given header (counts are set at the end). */
void dnsmsg_begin(struct dnsmsg_builder *b, void *buf, size_t cap, uint16_t id, uint16_t flags);
/** Writes a name, compressed against names written before. */
void dnsmsg_put_name(struct dnsmsg_builder *b, const uint8_t *name);
void dnsmsg_put_question(struct dnsmsg_builder *b, const uint8_t *name, uint16_t type,
                         uint16_t klass);
/**
 * Appends one RR to a section. rdata is uncompressed wire form; names inside the rdata of
 * NS, CNAME, PTR, MX and SOA are compressed. On overflow the partial record is rolled back and
 * false is returned (the builder stays usable, its wbuf's overflow flag cleared).
 */
bool dnsmsg_put_rr(struct dnsmsg_builder *b, enum dnsmsg_section sec, const uint8_t *owner,
                   uint16_t type, uint16_t klass, uint32_t ttl, const uint8_t *rdata,
                   uint16_t rdlen);
/** Appends an OPT RR to the additional section. ext_rcode is the upper 8 bits of the rcode. */
bool dnsmsg_put_opt(struct dnsmsg_builder *b, uint16_t udp_size, uint8_t ext_rcode, bool do_bit);
/** Sets the 4-bit header rcode. */
void dnsmsg_set_rcode(struct dnsmsg_builder *b, unsigned rcode);
/** Patches the counts; returns the message length, or 0 when the buffer overflowed. */
size_t dnsmsg_finish(struct dnsmsg_builder *b);

/** Name of an RR type ("A", "TYPE65280"), written into buf; returns buf. */
const char *dnsmsg_type_name(uint16_t type, char *buf, size_t size);
/** Parses a type mnemonic or "TYPEnnn"; 0 when unknown. */
uint16_t dnsmsg_type_parse(const char *s);
