from edrm.cli import main

main()
