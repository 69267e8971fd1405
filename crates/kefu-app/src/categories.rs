//! The category tree of tickets (a handful to a few hundred nodes): anyone who files tickets reads
//! it; managers grow it. Routing rules match a category or anything beneath it.

use crate::{Actor, App, AppError, AppResult};
use kefu_core::Invalid;
use kefu_store::Category;
use std::sync::Arc;

/// How deep the tree may grow.
const MAX_DEPTH: usize = 5;

/// A category's id and its ancestors', nearest first.
pub fn path_of(all: &[Category], id: i64) -> Vec<i64> {
    let mut path = vec![];
    let mut next = Some(id);
    while let Some(c) = next.and_then(|i| all.iter().find(|c| c.id == i)) {
        if path.contains(&c.id) || path.len() > MAX_DEPTH {
            break;
        }
        path.push(c.id);
        next = c.parent_id;
    }
    path
}

impl App {
    /// The category tree, kept for a few seconds (a category added here empties it at once).
    pub async fn categories(&self) -> AppResult<Vec<Category>> {
        if let Some(kept) = crate::tickets::fresh(&self.category_cache).await {
            return Ok(kept.as_ref().clone());
        }
        let all = self.store.categories().await?;
        *self.category_cache.write().await = Some((std::time::Instant::now(), Arc::new(all.clone())));
        Ok(all)
    }

    /// Adds a category under `parent_id` (managers and admins), named in both languages.
    pub async fn create_category(
        &self,
        actor: &Actor,
        parent_id: Option<i64>,
        name_en: &str,
        name_zh: &str,
    ) -> AppResult<Category> {
        if !actor.role().manages() {
            return Err(AppError::Forbidden);
        }
        let mut errors = vec![];
        for (field, v) in [("name_en", name_en), ("name_zh", name_zh)] {
            if let Err(e) = kefu_core::text::check_text(field, v, 100) {
                errors.push(e);
            }
        }
        if let Some(e) = errors.into_iter().reduce(|mut a, b| {
            a.errors.extend(b.errors);
            a
        }) {
            return Err(e.into());
        }
        let all = self.store.categories().await?;
        if let Some(p) = parent_id {
            if !all.iter().any(|c| c.id == p) {
                return Err(Invalid::one("parent_id", "unknown_category", format!("no category {p}")).into());
            }
            if path_of(&all, p).len() >= MAX_DEPTH {
                return Err(Invalid::one(
                    "parent_id",
                    "too_deep",
                    format!("categories nest at most {MAX_DEPTH} levels"),
                )
                .into());
            }
        }
        let siblings_clash = all.iter().any(|c| {
            c.parent_id == parent_id && (c.name_en.eq_ignore_ascii_case(name_en.trim()) || c.name_zh == name_zh.trim())
        });
        if siblings_clash {
            return Err(AppError::Conflict(
                "a category of that name exists at that place".into(),
            ));
        }
        let c = self
            .store
            .create_category(parent_id, name_en.trim(), name_zh.trim(), self.now())
            .await?;
        *self.category_cache.write().await = None;
        self.audit(
            actor,
            "category.create",
            format!("category:{}", c.id),
            serde_json::json!({"name_en": c.name_en, "name_zh": c.name_zh, "parent_id": c.parent_id}),
        )
        .await?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, parent_id: Option<i64>) -> Category {
        Category {
            id,
            parent_id,
            name_en: String::new(),
            name_zh: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn paths_walk_up_and_stop_at_loops() {
        let all = vec![c(1, None), c(2, Some(1)), c(3, Some(2)), c(8, Some(9)), c(9, Some(8))];
        assert_eq!(path_of(&all, 3), vec![3, 2, 1]);
        assert_eq!(path_of(&all, 1), vec![1]);
        assert_eq!(path_of(&all, 42), Vec::<i64>::new());
        assert_eq!(path_of(&all, 8), vec![8, 9], "a loop in stored data ends the walk");
    }
}
