"""Full-text extraction of case-file documents (issue #24, performance goals of items 3 and 4).

    .venv/bin/python -m bench.document_text_bench [--repeat 3]

Measures what the worker's ``extract_document_text`` task spends on a file (casefiles/services/extraction.py
``extract_file``, the same code): OCR of a one-page A4 scan at 300 dpi (2480×3508 grey PNG, made here with Pillow and
a CJK font: a certificate's worth of Chinese lines) with Tesseract ``chi_sim+eng``, and the text layer of a 20-page
text PDF (made here with WeasyPrint) with pdftotext. CPU is the children's user+system time (the work is done by
the tesseract / pdftotext processes) beside the wall time; the load average is read before and after, since the
machine (2 cores) is shared. Goals: OCR ≤ 5 s CPU per page; a 20-page text PDF ≤ 1 s.
"""

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.dev")

LINES = [
    "荣誉证书", "国务院政府特殊津贴", "为表彰在发展我国科学技术事业中做出的突出贡献，",
    "特决定发给政府特殊津贴并颁发证书。", "中华人民共和国人力资源和社会保障部", "二〇一九年十月一日",
]


def cjk_font():
    out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=True).stdout
    paths = sorted(line.split(":")[0] for line in out.splitlines() if line.strip())
    return next((p for p in paths if "Sans" in p and "Regular" in p), paths[0])


def a4_scan():
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(cjk_font(), 80)
    for i, line in enumerate(LINES * 3):
        draw.text((200, 300 + i * 160), line, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def text_pdf(pages=20):
    from weasyprint import HTML

    body = "".join(
        f'<section style="page-break-after: always"><h1>第{n}页 聘用合同</h1>'
        + "".join(f"<p>第{n}.{k}条 甲方聘用乙方从事冻土工程研究工作，聘期五年，工作地点为青藏高原冻土工程联合实验室。</p>" for k in range(30))
        + "</section>"
        for n in range(1, pages + 1)
    )
    return HTML(string=f'<html lang="zh"><body style="font-family: \'Noto Sans CJK SC\'">{body}</body></html>').write_pdf()


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(path, content_type, repeat):
    from casefiles.services.extraction import extract_file

    walls, cpus, chars = [], [], 0
    for _ in range(repeat):
        cpu0, wall0 = children_cpu(), time.perf_counter()
        text = extract_file(path, content_type)
        walls.append(time.perf_counter() - wall0)
        cpus.append(children_cpu() - cpu0)
        chars = len(text)
    return {"wall_median": statistics.median(walls), "wall_max": max(walls), "cpu_median": statistics.median(cpus),
            "cpu_max": max(cpus), "chars": chars}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import django

    django.setup()
    load_before = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory() as work:
        scan = Path(work) / "scan.png"
        scan.write_bytes(a4_scan())
        pdf = Path(work) / "contract.pdf"
        pdf.write_bytes(text_pdf())
        results["OCR, one A4 page at 300 dpi (chi_sim+eng)"] = measure(scan, "image/png", args.repeat)
        results["Text layer, 20-page PDF (pdftotext)"] = measure(pdf, "application/pdf", args.repeat)
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; {os.cpu_count()} cores; repeat {args.repeat}")
    print("| case | wall median (max) | CPU median (max) | characters |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['wall_median']:.2f} s ({r['wall_max']:.2f}) | {r['cpu_median']:.2f} s ({r['cpu_max']:.2f}) | {r['chars']:,} |")
    return results


if __name__ == "__main__":
    main()
