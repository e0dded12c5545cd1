from storeguard.cli import main

main()
