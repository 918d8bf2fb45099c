 /dev/fd/3: line 107: ./acta: No such file or directory
