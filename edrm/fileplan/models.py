"""File-plan nodes: classes at three levels (function, activity, transaction) and folders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edrm.db import Base, UTCDateTime
from edrm.markings import Marking
from edrm.people.models import Group


class NodeKind(StrEnum):
    FUNCTION = "function"
    ACTIVITY = "activity"
    TRANSACTION = "transaction"
    FOLDER = "folder"

    @property
    def is_class(self) -> bool:
        return self is not NodeKind.FOLDER


# The level each class kind sits at, and the kind its parent must be.
CLASS_PARENT: dict[NodeKind, NodeKind | None] = {
    NodeKind.FUNCTION: None,
    NodeKind.ACTIVITY: NodeKind.FUNCTION,
    NodeKind.TRANSACTION: NodeKind.ACTIVITY,
}

node_access = Table(
    "fileplan_node_access",
    Base.metadata,
    Column("node_id", ForeignKey("fileplan_nodes.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="RESTRICT"), primary_key=True),
)


class FilePlanNode(Base):
    __tablename__ = "fileplan_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("fileplan_nodes.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    kind_value: Mapped[str] = mapped_column("kind", String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    marking_value: Mapped[str] = mapped_column("marking", String(30), default="OFFICIAL")
    owner_unit: Mapped[str] = mapped_column(String(200), default="")
    retention_rule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    parent: Mapped[FilePlanNode | None] = relationship(
        remote_side="FilePlanNode.id", back_populates="children", lazy="joined", join_depth=3
    )
    children: Mapped[list[FilePlanNode]] = relationship(
        back_populates="parent", order_by="FilePlanNode.code"
    )
    access_groups: Mapped[list[Group]] = relationship(secondary=node_access, lazy="selectin")

    @property
    def kind(self) -> NodeKind:
        return NodeKind(self.kind_value)

    @property
    def marking(self) -> Marking:
        return Marking(self.marking_value)

    @property
    def is_folder(self) -> bool:
        return self.kind is NodeKind.FOLDER

    @property
    def access_names(self) -> list[str]:
        return sorted(g.name for g in self.access_groups)

    def path(self) -> list[FilePlanNode]:
        """Root first, this node last."""
        chain: list[FilePlanNode] = []
        node: FilePlanNode | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def class_node(self) -> FilePlanNode:
        """The class a folder sits under (a class is its own class)."""
        node = self
        while node.is_folder and node.parent is not None:
            node = node.parent
        return node
