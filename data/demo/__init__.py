"""The demo company: a simulated workforce and marketplace history with a known true fit.

company = generate_company(load_packaged_taxonomy(), employees=2000, opportunities=300)
export_jsonl(company, "var/demo")  # company.courses is the course catalog
"""

from data.demo.company import DEFAULT_AS_OF, PERSONAS, DemoCompany, generate_company
from data.demo.config import BiasConfig, HistoryConfig
from data.demo.courses import generate_courses
from data.demo.export import export_jsonl
from data.demo.truth import TASTES, Tastes, TrueFit, load_true_fit
from data.schemas import CourseFormat, CourseIn, CourseSkill

__all__ = [
    "DEFAULT_AS_OF",
    "PERSONAS",
    "TASTES",
    "BiasConfig",
    "CourseFormat",
    "CourseIn",
    "CourseSkill",
    "DemoCompany",
    "HistoryConfig",
    "Tastes",
    "TrueFit",
    "export_jsonl",
    "generate_company",
    "generate_courses",
    "load_true_fit",
]
