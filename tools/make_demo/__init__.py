"""The generator of the synthetic Jiegu demo town (示例数据) in data/demo; not shipped."""
