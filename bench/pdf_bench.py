"""PDF benchmarks: WeasyPrint (as casefiles.pdf renders) against Chromium printing the same HTML.

    .venv/bin/python bench/pdf_bench.py            # all cases, prints a Markdown table
    .venv/bin/python bench/pdf_bench.py --case certificate --engine weasyprint   # one case (used internally)
    .venv/bin/python bench/pdf_bench.py --signing  # what signing (casefiles/seals) adds, before and after in one run

Each case runs in its own process so that its figures are its own:
- wall: perf_counter around the call (WeasyPrint: warm process; Chromium: a fresh process per run);
- CPU (rusage): main thread + waited-for children (RUSAGE_CHILDREN). For Chromium this misses the renderer and
  utility processes its zygote reaps, so a second figure, CPU (process tree), sums utime+stime of every
  descendant sampled from /proc every 100 ms;
- peak (rss): ru_maxrss of this process plus the largest child's — double-counts the pages forked renderers share
  with their parent, and misses that parallel children run at the same time; peak (pss): the sampled maximum of
  the summed PSS of the whole process tree, the fairer figure for "memory the job takes".
The load average (1 min) at the start and end of each case is printed with it: the machine is shared.
"""

import argparse
import datetime
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CASES = {"certificate": 1, "batch": 1000, "announcement-1000": 1000, "announcement-5000": 5000}


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")
    import django

    django.setup()


def fake_certificates(n, rng):
    from types import SimpleNamespace

    from casefiles import pdf
    from casefiles.testing import chinese_name

    scheme = SimpleNamespace(name="通化市“英才卡”", policy_title="通化市“英才卡”管理服务办法")
    out = []
    for i in range(n):
        number = f"THYC2026{i + 1:05d}"
        card = SimpleNamespace(holder_name=chinese_name(rng), tier=SimpleNamespace(name=rng.choice(["A卡", "B卡", "C卡"])),
                               number=number, valid_from=datetime.date(2026, 11, 22), valid_until=datetime.date(2031, 11, 21))
        url = f"https://huicai.example.org/verify/{rng.getrandbits(256):064x}.{rng.getrandbits(160):040x}/"
        out.append({"card": card, "scheme": scheme, "bodies": ["中共通化市委组织部", "通化市人力资源和社会保障局"],
                    "verify_url": url, "qr": pdf.qr_img(url)})
    return out


def announcement_rows(n, rng):
    from casefiles.masking import mask_name
    from casefiles.testing import chinese_name

    reasons = [("第九条第（一）项", "弄虚作假骗取入选资格的"), ("第九条第（二）项", "违反职业道德或学术不端造成不良社会影响的"),
               ("第九条第（三）项", "触犯国家法律法规，造成不良社会影响的"),
               ("第九条第（四）项", "未按规定履行合同，或未满最低服务年限，或与州内用人单位终止合作关系的")]
    employers = ["楚雄示范医药有限公司", "楚雄州示范人民医院", "楚雄师范学院", "楚雄州农业科学院"]
    rows = []
    for i in range(n):
        article, reason = rng.choice(reasons)
        rows.append({"name": mask_name(chinese_name(rng)), "employer": rng.choice(employers), "card": f"XCHC2026{i + 1:05d}",
                     "article": article, "reason": reason, "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    return rows


def html_for(case):
    from casefiles import pdf

    rng = random.Random(42)
    if case in ("certificate", "batch"):
        return fake_certificates(CASES[case], rng)
    rows = announcement_rows(CASES[case], rng)
    return dict(title="2026年度楚雄州“兴楚惠才卡”退出情况公告", issuing_body_name="中共楚雄州委人才工作领导小组办公室",
                                 document_number="楚人才办〔2027〕1号", date=datetime.date(2027, 1, 10),
                                 intro="根据《楚雄州“兴楚惠才卡”实施细则（试行）》第九条规定，现将2026年度退出情况公告如下。", rows=rows)


def _children_cpu():
    """CPU seconds of finished child processes so far (the parallel renderers; Chromium). Used as a difference
    around each run: the total also holds earlier children (e.g. ctypes.util.find_library's ldconfig)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PssSampler:
    """Peak of the summed PSS (proportional set size: shared pages split between the processes sharing them) of
    this process and all its descendants, sampled every 100 ms. Unlike adding up ru_maxrss values it counts the
    pages forked renderers share with their parent once, and it sees all parallel children at the same time."""

    def __init__(self, interval=0.1):
        import threading

        self.interval, self.peak_kb, self._stop = interval, 0, threading.Event()
        self.ticks = {}  # descendant pid: its last seen utime + stime (clock ticks)
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree(pid):
        pids, todo = [], [pid]
        while todo:
            current = todo.pop()
            pids.append(current)
            try:
                for task in os.listdir(f"/proc/{current}/task"):
                    with open(f"/proc/{current}/task/{task}/children") as handle:
                        todo.extend(int(c) for c in handle.read().split())
            except OSError:
                pass
        return pids

    @staticmethod
    def _pss_kb(pid):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self):
        while not self._stop.wait(self.interval):
            tree = self._tree(os.getpid())
            self.peak_kb = max(self.peak_kb, sum(self._pss_kb(p) for p in tree))
            for pid in tree[1:]:
                try:
                    with open(f"/proc/{pid}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    self.ticks[pid] = int(fields[11]) + int(fields[12])
                except (OSError, IndexError, ValueError):
                    pass

    def descendants_cpu(self):
        """CPU seconds of all descendants as last sampled (up to one interval short for each): unlike
        RUSAGE_CHILDREN this includes grandchildren that their own parent reaps (Chromium's renderer, GPU and
        utility processes)."""
        return sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_one(case, engine, repeat):
    """Runs in a child process; prints JSON with seconds (best/median), pages and peak RSS (MB)."""
    setup_django()
    from casefiles import pdf

    load_start = os.getloadavg()[0]
    html = html_for(case)
    times, cpu, size, cpu_self = [], [], 0, 0.0
    if engine == "weasyprint":
        from pypdf import PdfReader

        if case == "certificate":
            pdf.certificates_pdf_from_contexts(html)  # warm: fonts, FontConfiguration, template cache
            pdf.certificates_pdf_from_contexts(html)
        if case in ("certificate", "batch"):  # the same call as the batch download view
            def render(contexts):
                return pdf.certificates_pdf_from_contexts(contexts)
        else:  # the same call as the announcement page
            def render(kwargs):
                return pdf.announcement_pdf(**kwargs)
        with PssSampler() as sampler:
            for _ in range(repeat):
                # thread_time: the main thread only (the sampler thread's reads of /proc are not rendering)
                start, start_cpu, start_children = time.perf_counter(), time.thread_time(), _children_cpu()
                content = render(html)
                times.append(time.perf_counter() - start)
                cpu.append(time.thread_time() - start_cpu + _children_cpu() - start_children)
                cpu_self += time.thread_time() - start_cpu
        size = len(content)
        import io

        pages = len(PdfReader(io.BytesIO(content)).pages)
        # parallel renderers: the parent's peak plus the largest child's (children run side by side)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + children) / 1024
    else:
        from pypdf import PdfReader

        if case in ("certificate", "batch"):
            html = pdf.render_html("pdf/certificate.html", {"certificates": html})
        else:
            html = pdf.announcement_html(**html)
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "in.html"
            # Chromium cannot read the WeasyPrint @font-face file URLs any better than the system fonts: same fonts.
            source.write_text(html, encoding="utf-8")
            target = Path(tmp) / "out.pdf"
            with PssSampler() as sampler:
                for _ in range(repeat):
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    start = time.perf_counter()
                    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                                    "--allow-file-access-from-files", f"--print-to-pdf={target}", source.as_uri()],
                                   check=True, capture_output=True, timeout=900)
                    times.append(time.perf_counter() - start)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            size = target.stat().st_size
            pages = len(PdfReader(str(target)).pages)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    tree_cpu = sampler.descendants_cpu() / repeat + (cpu_self / repeat if engine == "weasyprint" else 0)
    print(json.dumps({"case": case, "engine": engine, "best": min(times), "median": statistics.median(times),
                      "cpu": min(cpu), "tree_cpu": round(tree_cpu, 2), "load_start": load_start,
                      "load": os.getloadavg()[0], "pages": pages, "bytes": size, "peak_mb": round(peak, 1),
                      "pss_peak_mb": round(sampler.peak_kb / 1024, 1)}))


def signing_overhead(repeat=30, batch=1000):
    """What PAdES signing adds (issue #22: ≤ 30 ms to one certificate, ≤ 10 % to a 1,000-certificate batch), both
    ways in one process, alternating so that drift on a shared machine hits both alike. A development CA and a
    department key in a temporary directory, the department's seal image as the visible seal; the certificate signed
    as a download is (visible seal + licence XMP), the batch as the print file is (one invisible signature)."""
    import io
    from types import SimpleNamespace

    setup_django()
    from django.conf import settings
    from PIL import Image, ImageDraw

    from casefiles import pdf
    from casefiles.seals import keys, signing
    from casefiles.seals.licence import Licence

    tmp = tempfile.mkdtemp(prefix="seal-bench-")
    settings.HUICAI_SIGNING_DIR, settings.HUICAI_SIGNING_BACKEND = tmp, keys.DEV_BACKEND
    seal_path = Path(tmp) / "seal.png"
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 392, 392), outline=(200, 22, 29, 255), width=14)
    image.save(seal_path)
    seal = type("Seal", (), {"name": "seals/bench.png", "path": str(seal_path), "__bool__": lambda self: True})()
    department = SimpleNamespace(pk=1, code="hr-bureau", name="通化市人力资源和社会保障局", seal_image=seal,
                                 jurisdiction=SimpleNamespace(code="tonghua", name="通化市"),
                                 group_name_for=lambda jurisdiction, code: f"{jurisdiction}.{code}")
    keys.make_dev_department_key(department, tmp)
    rng = random.Random(42)
    one = fake_certificates(1, rng)
    licence = Licence("证书", one[0]["card"].number, one[0]["card"].holder_name, department.name, "2026-11-22",
                      "2031-11-21")

    def certificate(sign):
        content = pdf.certificates_pdf_from_contexts(one)
        return signing.sign_pdf(content, departments=[department], kind=signing.CERTIFICATE, licence=licence) \
            if sign else content

    for sign in (False, True, False, True):  # warm: fonts, templates, pyHanko's imports, the key
        certificate(sign)
    wall = {False: [], True: []}
    cpu = {False: [], True: []}
    for _ in range(repeat):
        for sign in (False, True):
            start, start_cpu = time.perf_counter(), time.process_time()
            content = certificate(sign)
            wall[sign].append(time.perf_counter() - start)
            cpu[sign].append(time.process_time() - start_cpu)
    from pyhanko.pdf_utils.reader import PdfFileReader

    assert PdfFileReader(io.BytesIO(content)).embedded_signatures  # the "after" really is signed
    rows = [("certificate", statistics.median(wall[False]), statistics.median(wall[True]),
             statistics.median(cpu[False]), statistics.median(cpu[True]), repeat)]
    contexts = fake_certificates(batch, rng)
    # The batch: each round renders the print file (the "before"), then signs that same file as the worker does (the
    # "after" is both). The signing step is timed on its own, so the render's run-to-run spread on a shared machine
    # (seconds) does not drown it. CPU counts the parallel renderers (waited-for children).
    render_wall, render_cpu, sign_wall, sign_cpu = [], [], [], []
    for _ in range(2):
        start, start_cpu = time.perf_counter(), time.process_time() + _children_cpu()
        content = pdf.certificates_pdf_from_contexts(contexts)
        render_wall.append(time.perf_counter() - start)
        render_cpu.append(time.process_time() + _children_cpu() - start_cpu)
        start, start_cpu = time.perf_counter(), time.process_time()
        signed = signing.sign_pdf(content, departments=[department], kind=signing.PRINT_FILE, visible=False)
        sign_wall.append(time.perf_counter() - start)
        sign_cpu.append(time.process_time() - start_cpu)
    assert len(PdfFileReader(io.BytesIO(signed)).embedded_signatures) == 1
    before, added = min(render_wall), min(sign_wall)
    rows.append((f"batch of {batch} ({len(content) // 1024} KB)", before, before + added, min(render_cpu),
                 min(render_cpu) + min(sign_cpu), 2))
    print("| document | wall unsigned s | wall signed s | wall added | wall added % | CPU unsigned s | CPU signed s "
          "| CPU added | CPU added % | runs each |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, before, after, cpu_before, cpu_after, runs in rows:
        print(f"| {name} | {before:.4f} | {after:.4f} | {(after - before) * 1000:.1f} ms "
              f"| {(after / before - 1) * 100:.1f} % | {cpu_before:.4f} | {cpu_after:.4f} "
              f"| {(cpu_after - cpu_before) * 1000:.1f} ms | {(cpu_after / cpu_before - 1) * 100:.1f} % | {runs} |")
    print(f"load avg (1 min) at the end: {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signing", action="store_true", help="what signing adds, before and after in one run")
    parser.add_argument("--case", choices=list(CASES))
    parser.add_argument("--engine", choices=["weasyprint", "chromium"])
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args()
    if args.signing:
        signing_overhead(repeat=args.repeat or 30)
        return
    if args.case and args.engine:
        run_one(args.case, args.engine, args.repeat or (10 if args.case == "certificate" else 1))
        return
    results = []
    for case in [args.case] if args.case else CASES:
        for engine in ("weasyprint", "chromium"):
            repeat = args.repeat or (10 if case == "certificate" and engine == "weasyprint" else 3 if case == "certificate" else 1)
            out = subprocess.run([sys.executable, __file__, "--case", case, "--engine", engine, "--repeat", str(repeat)],
                                 capture_output=True, text=True, check=True, cwd=ROOT)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), file=sys.stderr)
    print("| case | engine | wall best s | wall median s | CPU s (rusage) | CPU s (process tree) | pages | size KB "
          "| peak MB (rss) | peak MB (pss) | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['case']} | {r['engine']} | {r['best']:.3f} | {r['median']:.3f} | {r['cpu']:.3f} | {r['tree_cpu']} "
              f"| {r['pages']} | {r['bytes'] // 1024} | {r['peak_mb']} | {r['pss_peak_mb']} "
              f"| {r['load_start']:.1f}–{r['load']:.1f} |")


if __name__ == "__main__":
    main()
