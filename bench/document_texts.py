"""Synthetic extracted text of case-file documents for the search benchmarks (issue #24): what pdftotext or OCR
leaves of an award certificate, a labour contract, a degree certificate, an expert report or minutes — a page
of Chinese, about 1,000–1,800 characters, varied by seed so that no two documents are the same.

Used by bench/document_index_bench.py (the real reindex path, documents in the database) and
bench/search_bench.py --document-text (synthetic dossiers straight into the index).
"""

import random

KINDS = [
    ("荣誉证书", "人力资源和社会保障部", [
        "荣誉证书", "{name}同志：",
        "为表彰您在{field}领域做出的突出贡献，经国务院批准，享受国务院政府特殊津贴，特发此证。",
        "证书编号：{number}", "中华人民共和国人力资源和社会保障部", "{year}年{month}月{day}日",
    ]),
    ("聘用合同", "{employer}", [
        "聘用合同书", "甲方（聘用单位）：{employer}", "乙方（受聘人员）：{name}",
        "根据《中华人民共和国劳动合同法》及有关规定，甲乙双方在平等自愿、协商一致的基础上签订本合同。",
        "第一条 合同期限：自{year}年{month}月{day}日起至{end}年{month}月{day}日止，共{years}年。",
        "第二条 工作岗位：乙方在甲方{field}研究所从事{post}工作，岗位职责按甲方岗位说明书执行。",
        "第三条 工作时间和休息休假：甲方执行国家规定的标准工时制度，乙方享受国家规定的法定节假日、年休假。",
        "第四条 劳动报酬：甲方按月以货币形式支付乙方工资，每月{salary}元，"
        "并依法为乙方缴纳社会保险和住房公积金。",
        "第五条 劳动保护和劳动条件：甲方为乙方提供符合国家规定的劳动安全卫生条件和必要的劳动防护用品。",
        "第六条 合同的变更、解除和终止按照《中华人民共和国劳动合同法》的规定执行。",
        "甲方（盖章）：{employer}    乙方（签字）：{name}", "签订日期：{year}年{month}月{day}日",
    ]),
    ("博士学位证书", "{university}", [
        "博士学位证书",
        "{name}，{sex}，{birth_year}年{month}月生。在{university}{field}学科专业已通过博士学位的课程考试和论文答辩，",
        "成绩合格。根据《中华人民共和国学位条例》的规定，授予工学博士学位。", "{university}学位评定委员会主席",
        "证书编号：{number}", "{year}年{month}月{day}日",
    ]),
    ("专家评审意见", "{employer}", [
        "专家评审意见表", "申请人：{name}    申报类别：{category}",
        "经审阅申报材料，申请人近五年主持{field}方向国家级科研项目{count}项，发表高水平论文{papers}篇，",
        "取得发明专利{patents}项，成果已在{employer}实现产业化应用，年新增产值约{value}万元。",
        "申请人学术水平和创新能力突出，在本领域具有较高影响力，符合人才服务卡申领条件，同意推荐。",
        "评审专家（签字）：{expert}", "{year}年{month}月{day}日",
    ]),
    ("会议纪要", "人才工作领导小组办公室", [
        "人才工作领导小组会议纪要", "{year}年{month}月{day}日，人才工作领导小组召开会议，审议人才服务卡申领事项。",
        "会议听取了人力资源和社会保障局关于{category}人才认定情况的汇报。",
        "经审议，会议原则同意{name}等{count}人的认定意见，",
        "由人才服务中心按程序办理制卡事宜，并在政府网站公示五个工作日。", "出席：{expert}、{employer}负责同志。",
        "记录：人才服务中心",
    ]),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞辉建国志刚海燕文博宇轩梓涵浩然子豪思远雨萱欣怡俊杰"
FIELDS = ["生物医药", "新材料", "人工智能", "汽车制造", "现代农业", "精细化工", "临床医学", "软件工程", "智能装备",
          "新能源"]
EMPLOYERS = ["示范制药股份有限公司", "示范大学", "示范汽车研究院", "州人民医院", "示范科技有限公司", "示范化工集团"]
UNIVERSITIES = ["吉林大学", "云南大学", "山东大学", "中山大学", "东北师范大学", "华南理工大学"]
POSTS = ["研发", "教学科研", "临床", "工艺设计", "项目管理"]
CATEGORIES = ["A类", "B类", "C类", "高层次", "急需紧缺"]


def _name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def document_text(rng: random.Random):
    """(title, issuing body, text) of one synthetic document."""
    title, body, lines = rng.choice(KINDS)
    year = rng.randint(2012, 2025)
    values = {
        "name": _name(rng), "expert": _name(rng), "field": rng.choice(FIELDS), "employer": rng.choice(EMPLOYERS),
        "university": rng.choice(UNIVERSITIES), "post": rng.choice(POSTS), "category": rng.choice(CATEGORIES),
        "year": year, "end": year + rng.randint(3, 10), "years": rng.randint(3, 10), "month": rng.randint(1, 12),
        "day": rng.randint(1, 28), "salary": rng.randint(8, 40) * 1000, "birth_year": rng.randint(1965, 1995),
        "sex": rng.choice("男女"), "number": f"{rng.randint(10**9, 10**10 - 1)}", "count": rng.randint(1, 9),
        "papers": rng.randint(5, 60), "patents": rng.randint(0, 20), "value": rng.randint(100, 9000),
    }
    text = "\n".join(line.format(**values) for line in lines)
    # A page of a scan or a PDF carries more than its heading lines: repeat clauses the way a long page does.
    while len(text) < 1000:
        text += "\n" + rng.choice(lines[1:]).format(**values)
    return title, body.format(**values), text


def dossier_documents_text(rng: random.Random, count):
    """The text a dossier with ``count`` documents adds to its staff-search document (titles and texts)."""
    parts = []
    for _ in range(count):
        title, _body, text = document_text(rng)
        parts += [title, text]
    return "\n".join(parts)


# Staff queries that land inside documents; the benchmark asks them with and without document text alike.
DOCUMENT_QUERIES = ["国务院政府特殊津贴", "聘用合同", "博士学位", "发明专利", "人工智能", "劳动合同法"]
