import sys,json
t0=None; last=None
for line in open(sys.argv[1]):
    t,d=json.loads(line)
    if d is None: continue
    t=float(t)
    if t0 is None: t0=t
    k=(d['s'],d['b'],d['th'])
    if k!=last:
        print('%6.2f s=%5d (%.0f r/s) b=%d d=%d th=%d' % (t-t0, d['s'], 1e6/d['s'] if d['s'] else 0, d['b'], d['d'], d['th']))
        last=k
