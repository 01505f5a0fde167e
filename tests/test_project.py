from mlcycle.project import grid_order


def test_grid_tasks_sort_by_number():
    names = ["candidate-10", "candidate-2", "candidate-0"]
    assert sorted(names, key=grid_order) == ["candidate-0", "candidate-2", "candidate-10"]
