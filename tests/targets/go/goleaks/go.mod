module memgap.test/goleaks

go 1.19
