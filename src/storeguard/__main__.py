from storeguard.cli import main

if __name__ == "__main__":  # a process started by multiprocessing imports the main module again
    main()
