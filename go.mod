module github.com/psadgo/psad

go 1.26.8
