"""Sums perf self time per symbol of the jitprobe process into consumer stages (issue 18)."""
import re
import subprocess
import sys
out=subprocess.run(["perf","report","-i",sys.argv[1],"--no-children","--sort","symbol","--stdio","-g","none","--percent-limit","0"],capture_output=True,text=True).stdout
cats={"plan: decode + JSON in one pass (EventPlan)":r"PlanWriter|EventPlan|EventConsumer|loadBits|StdoutBatch|_M_append|_M_replace|_M_mutate|basic_string.*(append|assign|push_back)",
"decode (BTF walk, Value build/free)":r"btf|skipModifiers|decodeType|decodeInt|decodeArray|decodeEnum|decodeMember|loadBits|appendComposite|_Variant|realloc_insert|_int_free|cfree|malloc|operator new|__strcmp|decodeEventRecord|memchr|strlen|_int_malloc|operator delete|decode_btf|isCharType|integerValue|EventPlan::|_M_dispose|~Value",
"format (JSON text)":r"appendJson|push_back|openRecord|render_json|to_chars|_M_mutate|_M_append|_M_replace|appendEscape|utf8Length|format_int|appendNumber|append_json",
"write (stdio + write(2) + ext4)":r"fwrite|_IO_|write|ext4|filemap|folio|block_|pages|rmqueue|memset|zero_user|xas_|mark_buffer|__mark_inode|generic_perform|copy_user|rep_movs|copyin|lru|balance_dirty|percpu_counter|_raw_spin|list_del|__memcg|mod_memcg|mem_cgroup|jbd2|clear_page|post_alloc|prep_new|find_lock|__count|filldir|kmem|inode|fault_in|file_update|__cond_resched|flush|LineBuffer|BatchedOut",
"ring consume (libbpf)":r"ringbuf_process|ring_buffer__|ringbuf_",
"wake-ups / epoll / scheduler":r"epoll|schedule|switch|poll|hrtimer|ep_|wake|futex|tick|irq|sched",
}
tot={k:0.0 for k in cats}; other=0.0; rest=[]
for line in out.splitlines():
    m=re.match(r"\s+([\d.]+)%\s+\[(.)\]\s+(.*)",line)
    if not m: continue
    p=float(m.group(1)); s=m.group(3).strip()
    for k,rx in cats.items():
        if re.search(rx,s): tot[k]+=p; break
    else:
        other+=p; rest.append((p,s[:80]))
for k,v in tot.items(): print("%6.1f%%  %s"%(v,k))
print("%6.1f%%  other"%other)
for p,s in sorted(rest,reverse=True)[:12]: print("   other: %.2f %s"%(p,s))
