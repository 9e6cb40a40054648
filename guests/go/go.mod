module directfs.test/guests

go 1.27
