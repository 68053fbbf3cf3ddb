;
; Built-in p0f v3 SYN signatures for psad-go (osfp.DefaultP0F).
;
; Written for this project, in the signature syntax described in p0f's
; README ("Fingerprint database"), from what these systems put in their
; SYN packets: initial TTL, DF and IP ID, window, window scale and the
; order of the TCP options. Only [tcp:request] is read. Every field used
; here can be read from a netfilter LOG line (TTL=/HOPLIMIT=, DF, ID=,
; WINDOW=, the TCP "OPT (...)" field), so the signatures avoid quirks a
; LOG line cannot show.
;
; Layout reminder:
;   sig = ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass
;
; Labels are "type:class:name:flavor"; a guess is reported as
; "<name> <flavor>".
;

classes = win,unix,other

[tcp:request]

; --- Linux ------------------------------------------------------------
;
; Since 4.19 the SYN offers the largest multiple of the MSS that fits in
; 64 KiB (64240 for an MSS of 1460, 65160 for 1448, 64400 for 1400), and
; window scale 7 with the default 6 MB maximum receive buffer. Options:
; MSS, SACK permitted, timestamps, NOP, window scale. DF is set and the IP
; ID is not zero. A larger initial receive buffer caps the window at 65535.

label = s:unix:Linux:4.19-6.x
sig   = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*45,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*46,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*47,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*48,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:65535,7:mss,sok,ts,nop,ws:df,id+:0

; Over IPv6 Linux labels its flows (net.ipv6.auto_flowlabels), which p0f
; counts as the "flow" quirk; the IPv4-only df and id+ do not apply.
sig   = 6:64:0:*:mss*44,7:mss,sok,ts,nop,ws:flow:0
sig   = 6:64:0:*:mss*45,7:mss,sok,ts,nop,ws:flow:0
sig   = 6:64:0:*:mss*46,7:mss,sok,ts,nop,ws:flow:0
sig   = 6:64:0:*:mss*47,7:mss,sok,ts,nop,ws:flow:0
sig   = 6:64:0:*:mss*48,7:mss,sok,ts,nop,ws:flow:0

; From 3.11 to 4.18 the initial window was twenty segments.
label = s:unix:Linux:3.11-4.18
sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0

; From 3.0 to 3.10 it was ten segments (RFC 6928 initial window).
label = s:unix:Linux:3.0-3.10
sig   = *:64:0:*:mss*10,4:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*10,5:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*10,6:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*10,7:mss,sok,ts,nop,ws:df,id+:0

; Loopback: MSS 65495 (MTU 65536), one segment of window.
label = s:unix:Linux:(loopback)
sig   = *:64:0:65495:mss*1,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:65476:mss*1,7:mss,sok,ts,nop,ws:df,id+:0

; Android configures larger receive buffers than desktop Linux, giving
; window scale 8 to 10; tuned Linux servers look the same.
label = s:unix:Android:(or Linux with large receive buffers)
sig   = *:64:0:*:65535,8:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:65535,9:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:65535,10:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*44,8:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*44,9:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*44,10:mss,sok,ts,nop,ws:df,id+:0

; Any Linux option layout, with or without timestamps.
label = g:unix:Linux:
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:*,*:mss,nop,nop,sok,nop,ws:df,id+:0
sig   = *:64:0:*:*,*:mss,sok,ts:df,id+:0
sig   = 6:64:0:*:*,*:mss,sok,ts,nop,ws:flow:0
sig   = 6:64:0:*:*,*:mss,nop,nop,sok,nop,ws:flow:0

; --- Windows ----------------------------------------------------------
;
; TTL 128; options MSS, NOP, window scale, NOP, NOP, SACK permitted (no
; timestamps by default). Windows 10 and 11 offer 64240 (65535 on older
; builds) with scale 8; Windows 7 and 8 offered 8192.

label = s:win:Windows:10/11
sig   = *:128:0:*:64240,8:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:65535,8:mss,nop,ws,nop,nop,sok:df,id+:0

label = s:win:Windows:7/8
sig   = *:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:8192,2:mss,nop,ws,nop,nop,sok:df,id+:0

label = g:win:Windows:
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:*,*:mss,nop,nop,sok:df,id+:0

; --- Apple ------------------------------------------------------------
;
; macOS and iOS: TTL 64, window 65535, scale 6 (5 on some releases),
; options MSS, NOP, WS, NOP, NOP, timestamps, SACK permitted, EOL with one
; byte of padding. Over IPv6 the flow label is set ("flow").

label = s:unix:macOS/iOS:
sig   = *:64:0:*:65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = *:64:0:*:65535,5:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = 6:64:0:*:65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1:flow:0

label = g:unix:macOS/iOS:
sig   = *:64:0:*:*,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = 6:64:0:*:*,*:mss,nop,ws,nop,nop,ts,sok,eol+1:flow:0

; --- FreeBSD ----------------------------------------------------------
;
; TTL 64, window 65535, scale 6, options MSS, NOP, WS, SACK permitted,
; timestamps.

label = s:unix:FreeBSD:9 or newer
sig   = *:64:0:*:65535,6:mss,nop,ws,sok,ts:df,id+:0

label = g:unix:FreeBSD:
sig   = *:64:0:*:65535,*:mss,nop,ws,sok,ts:df,id+:0

; --- Scanners ---------------------------------------------------------
;
; nmap -sS builds its SYNs itself: a TTL picked at random below 64, no DF,
; window 1024 (sometimes 2048, 3072 or 4096) and a single MSS 1460 option.

label = s:!:nmap:SYN scan
sys   = @unix,@win
sig   = *:64-:0:1460:1024,0:mss::0
sig   = *:64-:0:1460:2048,0:mss::0
sig   = *:64-:0:1460:3072,0:mss::0
sig   = *:64-:0:1460:4096,0:mss::0

; nmap -O: the six sequence probes (windows 1, 63, 4, 4, 16, 512 with
; their fixed option sets), the ECN probe (ECE and CWR, window 3) and the
; SYN-carrying T3 (SYN, FIN, PSH, URG, window 256) and T5 (window 31337)
; probes. Their ACK number is random, which a LOG line shows only with
; --log-tcp-sequence.

label = s:!:nmap:OS detection probe
sys   = @unix,@win
sig   = *:64-:0:1460:1,10:ws,nop,mss,ts,sok:ack+:0
sig   = *:64-:0:1400:63,0:mss,ws,sok,ts,eol+0:ack+:0
sig   = *:64-:0:640:4,5:ts,nop,nop,ws,nop,mss:ack+:0
sig   = *:64-:0:0:4,10:sok,ts,ws,eol+0:ack+:0
sig   = *:64-:0:536:16,10:mss,sok,ts,ws,eol+0:ack+:0
sig   = *:64-:0:265:512,0:mss,sok,ts:ack+:0
sig   = *:64-:0:1460:3,10:ws,nop,mss,sok,nop,nop:ecn,uptr+:0
sig   = *:64-:0:265:256,10:ws,nop,mss,ts,sok:ack+,urgf+,pushf+:0
sig   = *:64-:0:265:31337,10:ws,nop,mss,ts,sok:ack+:0

; masscan sends window 1024 with TTL 255 and, in older releases, no
; options at all (newer ones add MSS 1460).

label = s:!:masscan:SYN scan
sys   = @unix,@win
sig   = *:255-:0:0:1024,0:::0
sig   = *:255-:0:1460:1024,0:mss::0
